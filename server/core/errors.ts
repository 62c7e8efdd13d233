export type PanelErrorCode = "NOT_FOUND" | "BAD_REQUEST" | "CONFLICT" | "PRECONDITION_FAILED" | "FORBIDDEN";

/** A domain error with a message that says what to do; the API maps `code` to its status. */
export class PanelError extends Error {
  override name = "PanelError";
  constructor(public code: PanelErrorCode, message: string) {
    super(message);
  }
}

export const notFound = (what: string) => new PanelError("NOT_FOUND", `${what} was not found`);

export function isPanelError(e: unknown): e is PanelError {
  return e instanceof Error && e.name === "PanelError" && typeof (e as PanelError).code === "string";
}
