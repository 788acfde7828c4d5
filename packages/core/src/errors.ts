/** The errors every package shares live in the lowest one, @aves2/storage; the engine uses them from here. */
export * from "@aves2/storage/errors";
