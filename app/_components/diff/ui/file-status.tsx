import { STATUS_LETTER, STATUS_WORD } from "../model/status";

/** The status letter of a changed file (A/M/D/R/C/T), coloured, with the word for screen readers. */
export function FileStatus({ status, similarity }: { status: string; similarity?: number }) {
  const letter = STATUS_LETTER[status] ?? "?";
  const word = STATUS_WORD[status] ?? status;
  return (
    <span className={`file-status file-status-${letter}`} title={similarity !== undefined ? `${word}, ${similarity}% similar` : word} data-testid="file-status">
      <span aria-hidden="true">{letter}</span>
      <span className="visually-hidden">{word}</span>
    </span>
  );
}

/** "+12 −3" with colours; binary files say so instead. */
export function LineCounts({ additions, deletions, binary }: { additions: number; deletions: number; binary?: boolean }) {
  if (binary) return <span className="diff-counts diff-counts-binary">binary</span>;
  return (
    <span className="diff-counts" aria-label={`${additions} added, ${deletions} removed`}>
      <span className="diff-plus">+{additions}</span> <span className="diff-minus">−{deletions}</span>
    </span>
  );
}
