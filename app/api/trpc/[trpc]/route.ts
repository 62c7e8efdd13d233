import "server-only";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { roleFromGuardHeader } from "@/server/http/guard-header";
import { MAX_BATCH } from "@/server/core/limits";
import { getPanel } from "@/server/panel/panel";
import { appRouter } from "@/server/trpc/root";
import { subscriptionRefusal } from "@/server/trpc/subscription-check";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

function handler(req: Request) {
  const panel = getPanel();
  const role = roleFromGuardHeader(req.headers.get("x-longtable-guard"), panel.guardSecret);
  if (!role) {
    return new Response(JSON.stringify({ error: "not authenticated: start the panel with `npm start` and open the URL it prints" }), {
      status: 401,
      headers: { "content-type": "application/json" },
    });
  }
  if (req.method === "GET") {
    const url = new URL(req.url);
    const refusal = subscriptionRefusal(panel, url.pathname.replace(/^\/api\/trpc\//, ""), url.searchParams.get("input"));
    if (refusal) return Response.json(refusal.body, { status: refusal.status });
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => ({ panel, role }),
    maxBatchSize: MAX_BATCH,
  });
}

export { handler as GET, handler as POST };
