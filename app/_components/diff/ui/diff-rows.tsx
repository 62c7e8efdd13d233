import type { ReactNode } from "react";
import type { DiffRow, LineCell } from "../model/rows";
import { CodeText } from "./code-text";

export interface Quote {
  path: string;
  line?: number;
  text: string;
}

const MARKER = { add: "+", del: "−", context: " " } as const;

function QuoteButton({ path, cell, onQuote }: { path: string; cell: LineCell; onQuote?: (q: Quote) => void }) {
  if (!onQuote) return null;
  const no = cell.line.newNo ?? cell.line.oldNo;
  return (
    <button
      type="button"
      className="diff-quote"
      title="Quote this line in your feedback (Request changes)"
      aria-label={`Quote line ${no ?? ""} of ${path} in the feedback`}
      data-testid="quote-line"
      onClick={() => onQuote({ path, ...(no !== undefined ? { line: no } : {}), text: cell.line.text })}
    >
      ❝
    </button>
  );
}

function NoNewline({ cell }: { cell: LineCell }) {
  return cell.line.noNewlineAtEnd ? (
    <span className="diff-nonl" title="No newline at end of file">
      ⊘<span className="visually-hidden"> no newline at end of file</span>
    </span>
  ) : null;
}

/** One rendered row of a file diff (hunk header, unified line, or split pair). */
export function DiffRowView({
  row, path, language, onQuote, current,
}: {
  row: DiffRow;
  path: string;
  language: string | undefined;
  onQuote?: (q: Quote) => void;
  /** The hunk header the keyboard navigation moved to. */
  current?: boolean;
}): ReactNode {
  if (row.kind === "hunk") {
    const h = row.hunk;
    return (
      <div className={`diff-hunk${current ? " is-current" : ""}`} data-testid="diff-hunk" data-hunk={row.hunkIndex}>
        <code className="diff-hunk-header">
          @@ −{h.oldStart},{h.oldLines} +{h.newStart},{h.newLines} @@
        </code>
        {h.section ? <code className="diff-hunk-section">{h.section}</code> : null}
        {row.hidden > 0 ? <span className="diff-hidden muted">{row.hidden} unchanged line{row.hidden === 1 ? "" : "s"} above</span> : null}
      </div>
    );
  }
  if (row.kind === "line") {
    const { line } = row.cell;
    return (
      <div className={`diff-line diff-${line.type}`} data-testid="diff-line" data-type={line.type} data-old={line.oldNo} data-new={line.newNo}>
        <span className="diff-no" aria-hidden="true">{line.oldNo ?? ""}</span>
        <span className="diff-no" aria-hidden="true">{line.newNo ?? ""}</span>
        <span className="diff-marker" aria-label={line.type === "add" ? "added" : line.type === "del" ? "removed" : undefined}>
          {MARKER[line.type]}
        </span>
        <code className="diff-code">
          <CodeText text={line.text} language={language} ranges={row.cell.ranges} kind={line.type} />
          <NoNewline cell={row.cell} />
        </code>
        <QuoteButton path={path} cell={row.cell} onQuote={onQuote} />
      </div>
    );
  }
  return (
    <div className="diff-pair" data-testid="diff-pair">
      <SplitHalf side="old" cell={row.left} path={path} language={language} onQuote={onQuote} />
      <SplitHalf side="new" cell={row.right} path={path} language={language} onQuote={onQuote} />
    </div>
  );
}

function SplitHalf({ side, cell, path, language, onQuote }: { side: "old" | "new"; cell?: LineCell; path: string; language: string | undefined; onQuote?: (q: Quote) => void }) {
  if (!cell) return <div className={`diff-half diff-half-${side} diff-blank`} aria-hidden="true" />;
  const { line } = cell;
  const no = side === "old" ? line.oldNo : line.newNo;
  return (
    <div className={`diff-half diff-half-${side} diff-${line.type}`} data-testid="diff-line" data-type={line.type} data-old={line.oldNo} data-new={line.newNo}>
      <span className="diff-no" aria-hidden="true">{no ?? ""}</span>
      <span className="diff-marker" aria-label={line.type === "add" ? "added" : line.type === "del" ? "removed" : undefined}>
        {MARKER[line.type]}
      </span>
      <code className="diff-code">
        <CodeText text={line.text} language={language} ranges={cell.ranges} kind={line.type} />
        <NoNewline cell={cell} />
      </code>
      {line.type !== "context" || side === "new" ? <QuoteButton path={path} cell={cell} onQuote={onQuote} /> : <span />}
    </div>
  );
}
