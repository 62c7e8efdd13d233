import type { Metadata } from "next";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "./_trpc/client";
import { NavBar } from "./_components/nav";
import "./globals.css";
import "./phone.css";

export const metadata: Metadata = {
  title: { default: "LongTable Panel", template: "%s · LongTable Panel" },
  description: "Run, watch, review and merge a panel of coding-agent workers",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <TRPCReactProvider>
          <NavBar />
          <main className="page" id="main" tabIndex={-1}>
            {children}
          </main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
