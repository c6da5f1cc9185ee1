/**
 * Go's `strconv.ParseBool` with its exact error text, plus the error type the Go ports throw.
 */
import { goQuote } from "./quote.js";

/** An error whose message is exactly what the corresponding Go function's `err.Error()` returns. */
export class GoError extends Error {
  /** @param message the Go error text, byte for byte. */
  constructor(message: string) {
    super(message);
    this.name = "GoError";
  }
}

/** The spellings `strconv.ParseBool` accepts as true. */
export const GO_TRUE = ["1", "t", "T", "true", "TRUE", "True"] as const;
/** The spellings `strconv.ParseBool` accepts as false. */
export const GO_FALSE = ["0", "f", "F", "false", "FALSE", "False"] as const;

/**
 * Go `strconv.ParseBool`: exactly `1 t T true TRUE True` and `0 f F false FALSE False`.
 * @throws GoError `strconv.ParseBool: parsing "<s>": invalid syntax` for anything else.
 */
export function parseBool(s: string): boolean {
  if ((GO_TRUE as readonly string[]).includes(s)) return true;
  if ((GO_FALSE as readonly string[]).includes(s)) return false;
  throw new GoError(`strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
}
