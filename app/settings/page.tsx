import type { Metadata } from "next";
import { RoleCatalog } from "./_components/role-catalog";
import { CustomRoleForm } from "./_components/custom-role-form";
import { RepoSetup } from "./_components/repo-setup";

export const metadata: Metadata = { title: "Settings" };

export default function SettingsPage() {
  return (
    <>
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <p className="lead">
        <strong>Roles</strong>: the catalog a run&apos;s members are picked from. Defaults are preselected for a new run; custom roles add your
        own briefs (for example an implementer or a tester).
      </p>
      <div className="two-col">
        <RoleCatalog />
        <CustomRoleForm />
      </div>
      <RepoSetup />
    </>
  );
}
