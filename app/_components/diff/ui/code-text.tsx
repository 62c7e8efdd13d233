import { memo } from "react";
import { applyRanges, highlightLine, type Range } from "../model/highlight";

/**
 * One line of code: highlight.js tokens rendered as React text (escaped by React), with the
 * word-level changes wrapped in <mark>.
 */
export const CodeText = memo(function CodeText({
  text, language, ranges, kind,
}: {
  text: string;
  language: string | undefined;
  ranges?: Range[];
  kind: "add" | "del" | "context";
}) {
  if (text.length === 0) return <span className="diff-empty-line">{"\u200b"}</span>;
  const segments = applyRanges(highlightLine(text, language), ranges ?? []);
  return (
    <>
      {segments.map((s, i) => {
        const inner = s.className ? <span className={s.className}>{s.text}</span> : s.text;
        return s.changed ? (
          <mark key={i} className={`diff-word diff-word-${kind}`} data-testid={`word-${kind}`}>
            {inner}
          </mark>
        ) : (
          <span key={i} className={s.className}>
            {s.text}
          </span>
        );
      })}
    </>
  );
});
