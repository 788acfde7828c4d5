/** What the tabular family reads: tasks, columns, rules, the summary of an accepted CSV. */

export type TableTask = "classification" | "regression" | "clustering";
export type ColumnKind = "numeric" | "categorical";

export interface TableColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** An accepted CSV. */
export interface TableSummary {
  readonly file: string;
  /** The features: every column but the target (with a model: the model's, in its order, of its kinds). */
  readonly columns: readonly TableColumn[];
  readonly rows: number;
  readonly target?: string;
  /** Classification, when the target's values are checked: sorted as TABLES.md says. */
  readonly classes?: readonly string[];
}

/** What a trained model fixes about the rows it reads. */
export interface ModelColumns {
  readonly target?: string;
  readonly features: readonly TableColumn[];
}

export interface CsvRules {
  readonly task: TableTask;
  /** The target column; unset (or empty): the model's, else the last column. Clustering has none. */
  readonly target?: string;
  /** The target column may be absent, and its values are not checked (predict). */
  readonly targetOptional?: boolean;
  readonly model?: ModelColumns;
  /** A param that may not exceed the row count. */
  readonly clusters?: { readonly param: string; readonly value: number };
}
