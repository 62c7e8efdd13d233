"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";
import { CopyButton } from "@/app/_components/copy-button";
import { RepoHealthNotice } from "@/app/_components/repo-health";
import { ErrorNotice, InlineCode, Loading } from "@/app/_components/states";

export function DoctorReport() {
  const trpc = useTRPC();
  const doctor = useQuery(trpc.system.doctor.queryOptions(undefined, { staleTime: 0 }));

  if (doctor.isPending) return <Loading>Checking git, tmux and codex…</Loading>;
  if (!doctor.data) return <ErrorNotice error={doctor.error} title="Could not run the checks" onRetry={() => doctor.refetch()} />;

  const d = doctor.data;
  const attach = `tmux -L ${d.tmuxSocket} ls`;
  const allOk = d.missing.length === 0 && d.codex.loggedIn;

  return (
    <div className="doctor" data-testid="doctor">
      <div className={`notice ${allOk ? "notice-ok" : "notice-warn"}`} role="status">
        <p className="notice-title">
          {allOk
            ? "Everything the panel needs is installed."
            : d.missing.length > 0
              ? `Missing or too old: ${d.missing.join(", ")}. Workers cannot launch until this is fixed.`
              : "The tools are installed, but codex is not logged in."}
        </p>
        <button type="button" className="button button-secondary button-small" onClick={() => doctor.refetch()} disabled={doctor.isFetching}>
          {doctor.isFetching ? "Checking…" : "Check again"}
        </button>
      </div>

      <section aria-labelledby="tools-heading">
        <h2 id="tools-heading">Tools</h2>
        <div className="table-wrap">
          <table className="table" data-testid="doctor-checks">
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
              {d.checks.map((c) => (
                <tr key={c.name} data-testid="doctor-check" data-ok={c.ok}>
                  <th scope="row">{c.name}</th>
                  <td>
                    <span className={`badge ${c.ok ? "status-ok" : "status-missing"}`}>{c.ok ? "ok" : "missing"}</span>
                  </td>
                  <td>{c.version ? <code>{c.version}</code> : <span className="muted">—</span>}</td>
                  <td>{c.detail ?? <span className="muted">—</span>}</td>
                  <td>
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

      <section aria-labelledby="codex-heading">
        <h2 id="codex-heading">Codex login</h2>
        <dl className="meta">
          <div>
            <dt>Binary</dt>
            <dd>
              <code>{d.codex.bin}</code>
            </dd>
          </div>
          <div>
            <dt>Logged in</dt>
            <dd>
              <span className={`badge ${d.codex.loggedIn ? "status-ok" : "status-missing"}`} data-testid="codex-login">
                {d.codex.loggedIn ? "yes" : "no"}
              </span>
            </dd>
          </div>
          {d.codex.loginStatus ? (
            <div>
              <dt>Status</dt>
              <dd>{d.codex.loginStatus}</dd>
            </div>
          ) : null}
        </dl>
        {!d.codex.loggedIn && d.codex.loginFix ? (
          <p className="hint">
            To log in: <InlineCode text={d.codex.loginFix} />
          </p>
        ) : null}
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
