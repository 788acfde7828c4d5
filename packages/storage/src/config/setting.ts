/** A setting with where it came from, so `doctor` can say why it has the value it has. */
export interface Setting<T> {
  readonly value: T;
  readonly source: string;
}
