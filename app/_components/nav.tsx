"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { ConfirmDialog } from "./dialog";
import { ErrorNotice } from "./states";
import { useSessionRole } from "./use-role";

const LINKS = [
  { href: "/", label: "Runs", match: (p: string) => p === "/" || (p.startsWith("/runs/") && p !== "/runs/new") },
  { href: "/runs/new", label: "New run", match: (p: string) => p === "/runs/new", operatorOnly: true },
  { href: "/settings", label: "Settings", match: (p: string) => p.startsWith("/settings") },
  { href: "/doctor", label: "Doctor", match: (p: string) => p.startsWith("/doctor") },
];

/**
 * "Sign out everywhere" (operators): ends every browser session of this panel, this one too,
 * then reloads, which shows the guard's "session has ended" page. Bearer scripts keep working.
 */
function SignOutEverywhere() {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const signOut = useMutation(
    trpc.system.signOutEverywhere.mutationOptions({
      onSuccess: () => window.location.assign("/"),
    }),
  );
  return (
    <>
      <button type="button" className="nav-button" data-testid="sign-out-everywhere" onClick={() => setOpen(true)}>
        Sign out everywhere
      </button>
      <ConfirmDialog
        open={open}
        title="Sign out everywhere?"
        confirmLabel="Sign out everywhere"
        danger
        busy={signOut.isPending}
        variant="review"
        testId="sign-out-dialog"
        confirmTestId="sign-out-confirm"
        onConfirm={() => signOut.mutate()}
        onCancel={() => {
          signOut.reset();
          setOpen(false);
        }}
      >
        <p>
          Every browser signed in to this panel, this one included, is signed out now and its live views stop. To come back,
          open the start URL the panel printed (the one that ends in <code>?token=…</code>).
        </p>
        <p className="muted small">
          Scripts that send the token as <code>Authorization: Bearer</code> keep working; to shut them out too, change the token and
          restart the panel.
        </p>
        {signOut.isError ? <ErrorNotice error={signOut.error} title="Could not sign out" /> : null}
      </ConfirmDialog>
    </>
  );
}

export function NavBar() {
  const pathname = usePathname() ?? "/";
  const { isViewer, loading } = useSessionRole();
  return (
    <nav className="nav" aria-label="Main">
      <Link href="/" className="brand">
        LongTable Panel
      </Link>
      <ul className="nav-links">
        {LINKS.filter((l) => !(l.operatorOnly && isViewer)).map((l) => (
          <li key={l.href}>
            <Link href={l.href} aria-current={l.match(pathname) ? "page" : undefined}>
              {l.label}
            </Link>
          </li>
        ))}
      </ul>
      <div className="nav-end">
        {isViewer ? (
          <span
            className="badge badge-readonly"
            data-testid="read-only-badge"
            title="Viewer token: you can watch runs but not create or change anything"
          >
            read-only
          </span>
        ) : null}
        {!loading && !isViewer ? <SignOutEverywhere /> : null}
      </div>
    </nav>
  );
}
