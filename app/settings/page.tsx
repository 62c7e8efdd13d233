import type { Metadata } from "next";
import { RoleCatalog } from "./_components/role-catalog";
import { CustomRoleForm } from "./_components/custom-role-form";

export const metadata: Metadata = { title: "Roles" };

export default function SettingsPage() {
  return (
    <>
      <div className="page-head">
        <h1>Roles</h1>
      </div>
      <p className="lead">
        The role catalog a run&apos;s members are picked from. Defaults are preselected for a new run; custom roles add your
        own briefs (for example an implementer or a tester).
      </p>
      <div className="two-col">
        <RoleCatalog />
        <CustomRoleForm />
      </div>
    </>
  );
}
