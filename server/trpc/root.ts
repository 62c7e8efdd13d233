import { createCallerFactory, router } from "./init";
import { reposRouter } from "./routers/repos";
import { rolesRouter } from "./routers/roles";
import { runsRouter } from "./routers/runs";
import { eventsRouter } from "./routers/events";
import { hostsRouter } from "./routers/hosts";
import { systemRouter } from "./routers/system";
import { workersRouter } from "./routers/workers";
import { queueRouter } from "./routers/queue";

export const appRouter = router({
  system: systemRouter,
  repos: reposRouter,
  roles: rolesRouter,
  runs: runsRouter,
  workers: workersRouter,
  events: eventsRouter,
  hosts: hostsRouter,
  queue: queueRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
