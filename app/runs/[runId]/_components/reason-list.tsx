import { explainReason } from "@/app/_lib/preflight";

/** A failure reason in plain words: known preflight codes with their fix, other text as written. */
export function ReasonList({ reason, testId }: { reason: string | null | undefined; testId?: string }) {
  const parts = explainReason(reason);
  if (parts.length === 0) return null;
  if (parts.length === 1 && !parts[0]!.code) {
    return (
      <p className="pre-wrap" data-testid={testId}>
        {parts[0]!.text}
      </p>
    );
  }
  return (
    <ul className="reasons" data-testid={testId}>
      {parts.map((p, i) => (
        <li key={i}>
          {p.text}
          {p.code ? (
            <>
              {" "}
              <code className="reason-code">{p.code}</code>
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
