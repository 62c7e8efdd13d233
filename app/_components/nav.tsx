"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useSessionRole } from "./use-role";

const LINKS = [
  { href: "/", label: "Runs", match: (p: string) => p === "/" || (p.startsWith("/runs/") && p !== "/runs/new") },
  { href: "/runs/new", label: "New run", match: (p: string) => p === "/runs/new", operatorOnly: true },
  { href: "/settings", label: "Roles", match: (p: string) => p.startsWith("/settings") },
  { href: "/doctor", label: "Doctor", match: (p: string) => p.startsWith("/doctor") },
];

export function NavBar() {
  const pathname = usePathname() ?? "/";
  const { isViewer } = useSessionRole();
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
      {isViewer ? (
        <span
          className="badge badge-readonly"
          data-testid="read-only-badge"
          title="Viewer token: you can watch runs but not create or change anything"
        >
          read-only
        </span>
      ) : null}
    </nav>
  );
}
