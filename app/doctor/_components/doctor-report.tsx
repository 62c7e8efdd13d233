"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";
import { CopyButton } from "@/app/_components/copy-button";
import { RepoHealthNotice } from "@/app/_components/repo-health";
import { ErrorNotice, InlineCode, Loading } from "@/app/_components/states";

export function DoctorReport() {
  const trpc = useTRPC();
  const doctor = useQuery(trpc.system.doctor.queryOptions(undefined, { staleTime: 0 }));

  if (doctor.isPending) return <Loading>Checking git, tmux and the agents…</Loading>;
  if (!doctor.data) return <ErrorNotice error={doctor.error} title="Could not run the checks" onRetry={() => doctor.refetch()} />;

  const d = doctor.data;
  const attach = `tmux -L ${d.tmuxSocket} ls`;
  const usable = d.agents.filter((a) => a.usable);
  const notReady = usable.filter((a) => !a.ready);
  const allOk = d.missing.length === 0 && notReady.length === 0;

  return (
    <div className="doctor" data-testid="doctor">
      <div className={`notice ${allOk ? "notice-ok" : "notice-warn"}`} role="status">
        <p className="notice-title">
          {d.missing.length > 0
            ? `Missing or too old: ${d.missing.map((m) => (m === "agent" ? "an agent that can run here" : m)).join(", ")}. Workers cannot launch until this is fixed.`
            : allOk
              ? `Everything the panel needs is installed. Members can be played by ${usable.map((a) => a.label).join(", ")}.`
              : `The tools are installed, but ${notReady.map((a) => a.label).join(", ")} ${notReady.length === 1 ? "is" : "are"} not logged in.`}
        </p>
        <button type="button" className="button button-secondary button-small" onClick={() => doctor.refetch()} disabled={doctor.isFetching}>
          {doctor.isFetching ? "Checking…" : "Check again"}
        </button>
      </div>

      <section aria-labelledby="tools-heading">
        <h2 id="tools-heading">Tools</h2>
        <div className="table-wrap">
          <table className="table stack-on-phone" data-testid="doctor-checks">
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">State</th>
                <th scope="col">Version</th>
                <th scope="col">Detail</th>
                <th scope="col">Fix</th>
              </tr>
            </thead>
            <tbody>
              {d.checks.filter((c) => !d.agents.some((a) => a.agent === c.name)).map((c) => (
                <tr key={c.name} data-testid="doctor-check" data-ok={c.ok}>
                  <th scope="row">{c.name}</th>
                  <td data-label="State">
                    <span className={`badge ${c.ok ? "status-ok" : "status-missing"}`}>{c.ok ? "ok" : "missing"}</span>
                  </td>
                  <td data-label="Version">{c.version ? <code>{c.version}</code> : <span className="muted">—</span>}</td>
                  <td data-label="Detail">{c.detail ?? <span className="muted">—</span>}</td>
                  <td data-label="Fix">
                    {!c.ok && c.fix ? (
                      <span className="fix">
                        <code>{c.fix}</code>
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="agents-heading">
        <h2 id="agents-heading">Agents</h2>
        <p className="hint">
          Each member of a run is played by one of these. Claude Code and the command agent have no sandbox of their own: they
          run only inside the panel&apos;s (bubblewrap).
        </p>
        <div className="table-wrap">
          <table className="table stack-on-phone" data-testid="doctor-agents">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Can be picked</th>
                <th scope="col">Version</th>
                <th scope="col">Logged in</th>
                <th scope="col">Fix</th>
              </tr>
            </thead>
            <tbody>
              {d.agents.map((a) => (
                <tr key={a.agent} data-testid="doctor-agent" data-agent={a.agent} data-usable={a.usable} data-ready={a.ready}>
                  <th scope="row">
                    {a.label} <code className="role-id">{a.bin}</code>
                  </th>
                  <td data-label="Can be picked">
                    <span className={`badge ${a.usable ? "status-ok" : "status-missing"}`}>{a.usable ? "yes" : a.installed ? "no sandbox" : "not installed"}</span>
                  </td>
                  <td data-label="Version">{a.version ? <code>{a.version}</code> : <span className="muted">—</span>}</td>
                  <td data-label="Logged in">
                    {a.installed ? (
                      // (one element: stacked on a phone, the cell's children go in its value column)
                      <span>
                        <span className={`badge ${a.ready ? "status-ok" : "status-missing"}`} data-testid={a.agent === "codex" ? "codex-login" : undefined}>
                          {a.ready ? "yes" : "no"}
                        </span>{" "}
                        {a.status ?? null}
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td data-label="Fix">
                    {!a.usable && a.unusableReason ? (
                      <span className="fix">{a.installed ? a.unusableReason : <code>{a.install}</code>}</span>
                    ) : !a.ready && a.fix ? (
                      <span className="fix">
                        <InlineCode text={a.fix} />
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="hint" data-testid="doctor-sandbox">
          Sandbox: {d.sandbox.detail}
          {d.sandbox.fix && !d.sandbox.active ? (
            <>
              {" "}— <code>{d.sandbox.fix}</code>
            </>
          ) : null}
        </p>
      </section>

      <section aria-labelledby="repos-heading">
        <h2 id="repos-heading">Repositories</h2>
        {d.repositories.length === 0 ? (
          <p className="muted">No repository added yet.</p>
        ) : (
          <ul className="plain-list" data-testid="doctor-repos">
            {d.repositories.map((r) => (
              <li key={r.repoId} data-ok={String(r.ok)}>
                <code>{r.path}</code> — {r.ok ? "git works there" : `${r.problems.length} problem${r.problems.length === 1 ? "" : "s"} (below)`}
              </li>
            ))}
          </ul>
        )}
        <RepoHealthNotice />
      </section>

      <section aria-labelledby="where-heading">
        <h2 id="where-heading">Where things are</h2>
        <dl className="meta">
          <div>
            <dt>Data directory</dt>
            <dd>
              <code>{d.dataDir}</code>
            </dd>
          </div>
          <div>
            <dt>Default repository</dt>
            <dd>{d.defaultRepo ? <code>{d.defaultRepo}</code> : <span className="muted">none (start with --repo PATH)</span>}</dd>
          </div>
          <div>
            <dt>tmux socket</dt>
            <dd>
              <code>{d.tmuxSocket}</code>
            </dd>
          </div>
        </dl>
        <p className="hint">
          Workers run in tmux windows on this socket. To see them from a terminal:
        </p>
        <p className="command">
          <code data-testid="tmux-attach">{attach}</code> <CopyButton text={attach} />
        </p>
        <p className="hint">
          Then attach with <code>tmux -L {d.tmuxSocket} attach</code>.
        </p>
      </section>
    </div>
  );
}
