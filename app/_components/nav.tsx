import Link from "next/link";

export function NavBar() {
  return (
    <nav className="nav">
      <Link href="/" className="brand">LongTable Panel</Link>
      <Link href="/">Runs</Link>
      <Link href="/runs/new">New run</Link>
      <Link href="/settings">Roles</Link>
      <Link href="/doctor">Doctor</Link>
    </nav>
  );
}
