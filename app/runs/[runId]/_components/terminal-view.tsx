"use client";

import { useQuery } from "@tanstack/react-query";
import { AnsiUp } from "ansi_up";
import { useEffect, useMemo, useRef } from "react";
import { CopyButton } from "@/app/_components/copy-button";
import { ErrorNotice, Loading } from "@/app/_components/states";
import type { PanelWorker } from "@/app/_lib/types";
import { useTRPC } from "@/app/_trpc/client";

/** ANSI colours → HTML. ansi_up escapes the text itself; links from the pane are not turned into anchors. */
function toHtml(text: string): string {
  const ansi = new AnsiUp();
  ansi.use_classes = true;
  ansi.escape_html = true;
  ansi.url_allowlist = {};
  return ansi.ansi_to_html(text);
}

/** The worker's tmux pane, refreshed every second while it runs, and the command to attach to it. */
export function TerminalView({ runId, worker }: { runId: string; worker: PanelWorker }) {
  const trpc = useTRPC();
  const active = worker.status === "running" || worker.status === "stop_requested";
  const terminal = useQuery(
    trpc.workers.terminal.queryOptions(
      { runId, workerId: worker.id },
      {
        staleTime: 0,
        // Poll while the pane is alive (or the worker is meant to be running); stop once it has exited.
        refetchInterval: (q) => (q.state.data?.alive || active ? 1_000 : false),
        refetchIntervalInBackground: false,
      },
    ),
  );
  const boxRef = useRef<HTMLDivElement>(null);
  const text = terminal.data?.text ?? null;
  // Trailing blanks go, and long runs of empty lines (an idle pane's unused rows) shrink to one.
  const html = useMemo(() => (text === null ? null : toHtml(text.replace(/\s+$/, "").replace(/(?:[ \t]*\r?\n){3,}/g, "\n\n"))), [text]);

  // Keep the view scrolled to the bottom (where the cursor is) as the pane changes.
  useEffect(() => {
    const el = boxRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [html]);

  const t = terminal.data;
  return (
    <section className="terminal-section" aria-labelledby="terminal-heading" data-testid="terminal-view">
      <div className="terminal-toolbar">
        <h2 id="terminal-heading" className="inline-heading">
          Terminal
        </h2>
        {t ? (
          <span className={`live ${t.alive ? "live-live" : "live-disconnected"}`} data-testid="terminal-state">
            <span className="live-dot" aria-hidden="true" />
            {t.alive ? "pane running · refreshing every second" : "not running"}
          </span>
        ) : null}
      </div>
      {t ? (
        <div className="attach">
          <p className="hint">Attach from a terminal on this machine (read the pane, or take over the session):</p>
          <p className="command">
            <code data-testid="attach-command">{t.attach}</code> <CopyButton text={t.attach} label="Copy command" />
          </p>
        </div>
      ) : null}
      {terminal.isPending ? (
        <Loading>Reading the pane…</Loading>
      ) : !t ? (
        <ErrorNotice error={terminal.error} title="Could not read the worker's pane" onRetry={() => terminal.refetch()} />
      ) : (
        <>
          {t.message ? (
            <p className="muted" data-testid="terminal-message">
              {t.message}
            </p>
          ) : null}
          {html !== null ? (
            <div
              ref={boxRef}
              className="terminal"
              data-testid="terminal"
              tabIndex={0}
              role="region"
              aria-label={`tmux pane of ${worker.label}`}
              // ansi_up escaped every character of the pane text; only its own <span>s are markup.
              dangerouslySetInnerHTML={{ __html: html }}
            />
          ) : null}
          {terminal.isRefetchError ? <p className="muted small">The last refresh failed; showing the previous screen.</p> : null}
        </>
      )}
    </section>
  );
}
