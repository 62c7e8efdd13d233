import type { Metadata } from "next";
import { DoctorReport } from "./_components/doctor-report";

export const metadata: Metadata = { title: "Doctor" };

export default function DoctorPage() {
  return (
    <>
      <div className="page-head">
        <h1>Doctor</h1>
      </div>
      <p className="lead">What the panel needs on this machine, what it found, and how to fix what is missing.</p>
      <DoctorReport />
    </>
  );
}
