import { describe, expect, it } from "vitest";
import { closest, didYouMean } from "../src/catalog/suggest.js";
import { parseEventLine } from "../src/run/events.js";
import { isArchive, parseUri } from "@aves2/storage/uri";

describe("events", () => {
  it("parses AVES2_EVENT lines and leaves everything else as log", () => {
    expect(parseEventLine('AVES2_EVENT {"type":"metric","epoch":1,"loss":0.5}')).toEqual({ type: "metric", epoch: 1, loss: 0.5 });
    expect(parseEventLine("AVES2_EVENT {broken")).toBeUndefined();
    expect(parseEventLine('AVES2_EVENT {"no":"type"}')).toBeUndefined();
    expect(parseEventLine('epoch 1 AVES2_EVENT {"type":"x"}')).toBeUndefined();
  });
});

describe("suggestions", () => {
  it("finds near names", () => {
    expect(closest("mobilenet", ["mobilenet-v2", "resnet-50", "logistic-regression"])).toEqual(["mobilenet-v2"]);
    expect(didYouMean("lr_rate", ["lr", "epochs"])).toBe('did you mean "lr"?');
    expect(didYouMean("zzzzzz", ["lr", "epochs"])).toBeUndefined();
  });
});

describe("URIs", () => {
  it("parses every scheme and rejects malformed ones", () => {
    expect(parseUri("data/x", "w", "/base")).toEqual({ scheme: "file", path: "/base/data/x" });
    expect(parseUri("file:///tmp/a%20b", "w", "/")).toEqual({ scheme: "file", path: "/tmp/a b" });
    expect(parseUri("s3://aves2/datasets/x/", "w", "/")).toEqual({ scheme: "s3", bucket: "aves2", key: "datasets/x/" });
    expect(parseUri("pvc://claim/sub/p", "w", "/")).toEqual({ scheme: "pvc", claim: "claim", subPath: "sub/p" });
    expect(parseUri("nfs://server/export/p", "w", "/")).toEqual({ scheme: "nfs", server: "server", path: "/export/p" });
    expect(() => parseUri("s3://A_B/x", "--input d", "/")).toThrow(/not a valid bucket name/);
    expect(() => parseUri("gs://b/x", "--input d", "/")).toThrow(/unknown scheme "gs:\/\/"/);
    expect(() => parseUri("  ", "--input d", "/")).toThrow(/is empty/);
  });
  it("knows archives", () => {
    expect(["a.zip", "a.tar", "a.tar.gz", "a.tgz", "s3://b/x.TGZ"].every(isArchive)).toBe(true);
    expect(isArchive("s3://b/x.gz.d/")).toBe(false);
  });
});
