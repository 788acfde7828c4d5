/**
 * RFC 4180 records from text fed in pieces, each with the physical line it
 * starts on. A line ends at `\n`, `\r\n` or a lone `\r` (Python's universal
 * newlines, which its csv reader sees); a line with nothing on it is no record.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

const QUOTE_HINT = 'a quote inside a quoted value is written twice ("")';

/** Text that is not CSV: a quote never closed, text after a closing quote. `line`: where the record starts. */
export class CsvSyntaxError extends Error {
  readonly hint = QUOTE_HINT;
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = "CsvSyntaxError";
  }
}

enum State {
  RecordStart,
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: doubled, or the closing one. */
  QuoteInQuoted,
}

/** Called with each record; returning false stops the reading. */
export type OnRecord = (fields: string[], line: number) => boolean;

export class CsvTokenizer {
  private state = State.RecordStart;
  /** The last character was a `\r`: a `\n` right after it ends the same line. */
  private afterCr = false;
  private line = 1;
  private recordLine = 1;
  private fields: string[] = [];
  private field = "";

  /** Returns false once `onRecord` has asked to stop; the rest of `text` is left unread. */
  push(text: string, onRecord: OnRecord): boolean {
    const n = text.length;
    let i = 0;
    // where the current field's text began in this piece (Unquoted, Quoted)
    let start = 0;
    while (i < n) {
      switch (this.state) {
        case State.RecordStart: {
          const c = text.charCodeAt(i);
          if (c === LF || c === CR) {
            if (!(c === LF && this.afterCr)) this.line++;
            this.afterCr = c === CR;
            i++;
            continue;
          }
          this.afterCr = false;
          this.recordLine = this.line;
          this.state = State.FieldStart;
          continue;
        }
        case State.FieldStart:
          if (text.charCodeAt(i) === QUOTE) {
            this.state = State.Quoted;
            start = ++i;
          } else {
            this.state = State.Unquoted;
            start = i;
          }
          continue;
        case State.Unquoted: {
          let j = i;
          let c = 0;
          for (; j < n; j++) {
            c = text.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR) break;
          }
          this.field += text.slice(start, j);
          if (j === n) return true;
          i = j + 1;
          if (c === COMMA) this.endField();
          else if (!this.endRecord(c, onRecord)) return false;
          continue;
        }
        case State.Quoted: {
          let j = i;
          for (; j < n; j++) {
            const c = text.charCodeAt(j);
            if (c === QUOTE) {
              this.afterCr = false;
              break;
            }
            if (c === CR || (c === LF && !this.afterCr)) this.line++;
            this.afterCr = c === CR;
          }
          this.field += text.slice(start, j);
          if (j === n) return true;
          this.state = State.QuoteInQuoted;
          i = j + 1;
          continue;
        }
        case State.QuoteInQuoted: {
          const c = text.charCodeAt(i++);
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            start = i;
          } else if (c === COMMA) {
            this.endField();
          } else if (c === LF || c === CR) {
            if (!this.endRecord(c, onRecord)) return false;
          } else {
            // RFC 4180 has nothing after a closing quote but a comma or a line end; Python's strict csv says the same
            throw new CsvSyntaxError(this.recordLine, "has text after a closing quote");
          }
          continue;
        }
      }
    }
    return true;
  }

  /** The last record, when the text does not end with a line end; false as push() returns it. */
  end(onRecord: OnRecord): boolean {
    if (this.state === State.Quoted) throw new CsvSyntaxError(this.recordLine, "has a quote that is never closed");
    if (this.state === State.RecordStart) return true;
    this.endField();
    return this.emit(onRecord);
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = "";
    this.state = State.FieldStart;
  }

  private endRecord(lineEnd: number, onRecord: OnRecord): boolean {
    this.endField();
    this.line++;
    this.afterCr = lineEnd === CR;
    return this.emit(onRecord);
  }

  private emit(onRecord: OnRecord): boolean {
    const fields = this.fields;
    this.fields = [];
    this.state = State.RecordStart;
    return onRecord(fields, this.recordLine);
  }
}
