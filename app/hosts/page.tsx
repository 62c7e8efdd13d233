import type { Metadata } from "next";
import { HostList } from "./_components/host-list";
import { HostForm } from "./_components/host-form";

export const metadata: Metadata = { title: "Hosts" };

export default function HostsPage() {
  return (
    <>
      <div className="page-head">
        <h1>Hosts</h1>
      </div>
      <p className="lead">
        Machines you own where workers can run over SSH, in tmux, in a clone of the repository there — nothing to install but
        git, tmux, node and the agents. The panel copies its worker scripts there itself and keeps one SSH connection per host.
      </p>
      <div className="two-col">
        <HostList />
        <HostForm />
      </div>
    </>
  );
}
