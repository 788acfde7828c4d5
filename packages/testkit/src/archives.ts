import { writeFileSync } from "node:fs";
import { crc32, deflateRawSync, gzipSync } from "node:zlib";

/**
 * Archives built byte by byte, so tests can make the ones no well-behaved
 * tool would write: entries named `../x` or `/etc/x`, links pointing outside,
 * zip headers that understate an entry's size.
 */
export interface ArchiveEntry {
  readonly name: string;
  readonly type?: "file" | "dir" | "symlink" | "hardlink";
  readonly content?: string | Buffer;
  /** For links: where they point. */
  readonly target?: string;
  readonly mode?: number;
  /** Zip only: the uncompressed size the headers declare, when it should lie. */
  readonly declaredSize?: number;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

/** A name over ustar's 100 bytes goes in two parts split at a slash: prefix (155 bytes) and name. */
function ustarName(full: string): { prefix: string; name: string } {
  if (Buffer.byteLength(full) <= 100) return { prefix: "", name: full };
  for (let i = full.indexOf("/"); i > 0; i = full.indexOf("/", i + 1)) {
    const prefix = full.slice(0, i);
    const name = full.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new Error(`tar: "${full}" is too long for a ustar header`);
}

export function tarBytes(entries: readonly ArchiveEntry[], opts: { gzip?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? "file";
    const body = type === "file" ? Buffer.from(e.content ?? "") : Buffer.alloc(0);
    const h = Buffer.alloc(512);
    const { prefix, name } = ustarName(e.name);
    h.write(name, 0, 100, "utf8");
    h.write(octal(e.mode ?? (type === "dir" ? 0o755 : 0o644), 8), 100, "ascii");
    h.write(octal(0, 8), 108, "ascii");
    h.write(octal(0, 8), 116, "ascii");
    h.write(octal(body.length, 12), 124, "ascii");
    h.write(octal(Math.floor(Date.now() / 1000), 12), 136, "ascii");
    h.write("        ", 148, "ascii");
    h.write({ file: "0", hardlink: "1", symlink: "2", dir: "5" }[type], 156, "ascii");
    if (e.target) h.write(e.target, 157, 100, "utf8");
    h.write("ustar\u000000", 257, "ascii");
    if (prefix) h.write(prefix, 345, 155, "utf8");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return opts.gzip ? gzipSync(tar) : tar;
}

/** `deflate`: compress file contents (method 8), so a few bytes of zip can inflate to many megabytes. */
export function zipBytes(entries: readonly ArchiveEntry[], opts: { deflate?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const type = e.type ?? "file";
    const name = Buffer.from(type === "dir" && !e.name.endsWith("/") ? `${e.name}/` : e.name, "utf8");
    const raw = type === "symlink" ? Buffer.from(e.target ?? "") : type === "file" ? Buffer.from(e.content ?? "") : Buffer.alloc(0);
    const deflate = Boolean(opts.deflate) && type === "file";
    const data = deflate ? deflateRawSync(raw, { level: 9 }) : raw;
    const size = e.declaredSize ?? raw.length;
    const method = deflate ? 8 : 0;
    const mode = type === "symlink" ? 0o120777 : type === "dir" ? 0o040755 : 0o100000 | (e.mode ?? 0o644);
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE((3 << 8) | 30, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(0, 12);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE((mode << 16) >>> 0, 38);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    central.push(cd, name);
    offset += local.length + name.length + data.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}

/** Writes an archive of these entries; the format follows the file's name (.zip, .tar, .tar.gz, .tgz). */
export function writeArchive(file: string, entries: readonly ArchiveEntry[], opts: { deflate?: boolean } = {}): string {
  writeFileSync(file, /\.zip$/i.test(file) ? zipBytes(entries, opts) : tarBytes(entries, { gzip: /\.(tgz|tar\.gz)$/i.test(file) }));
  return file;
}
