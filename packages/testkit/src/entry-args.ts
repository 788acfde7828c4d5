/**
 * A manifest's params in the shape an entry's `--aves2-describe-args` prints
 * them (aves2_runtime's Arg table), so a component's test can hold its
 * manifest and its Python entry to the same list.
 */
export interface DescribableParam {
  readonly name: string;
  readonly type: string;
  readonly default?: unknown;
  readonly values?: readonly unknown[];
  readonly min?: number;
  readonly max?: number;
}

export const asDescribed = (p: DescribableParam) => ({
  name: p.name,
  type: p.type,
  default: p.default ?? null,
  ...(p.values ? { values: [...p.values] } : {}),
  ...(p.min !== undefined ? { min: p.min } : {}),
  ...(p.max !== undefined ? { max: p.max } : {}),
});

export const byName = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.name).localeCompare(String(b.name));
