import type { HandlerTable } from "../jobs/dispatch.ts";
import type { Executor, ExecutorContext } from "../jobs/job-runner.ts";
import type { JobRegistry } from "../jobs/job-registry.ts";
import { hiveIdOf, OPERATION_TARGET, type Operation } from "../protocol/operations.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { HiveDirectory } from "./hive-directory.ts";
import { queenStatus } from "./queen-status.ts";
import { executorFor } from "../jobs/dispatch.ts";

/**
 * The queen's executor: queen operations run here; every hive operation goes to its
 * hive (in-process for the embedded one, forwarded with SSE relay otherwise). Adding an
 * operation never touches this router.
 */
export function queenExecutor(registry: JobRegistry, hives: HiveDirectory, startedAt: number, extra: HandlerTable = {}): Executor {
  const toHive: Executor = (op, ctx) => {
    if (OPERATION_TARGET[op.operation] !== "hive") return executorFor({})(op, ctx);
    return hives.run(hiveIdOf(op) ?? "localhost", op, ctx);
  };
  /** Runs a hive operation on one hive or every online one; each row names its hive. */
  const perHive = async (only: string | undefined, op: (id: string) => Operation, ctx: ExecutorContext) => {
    const targets = only ? [only] : hives.list().filter((h) => h.state === "online").map((h) => h.id);
    const lists = await Promise.all(targets.map(async (id) => ((await hives.run(id, op(id), ctx)) as object[]).map((row) => ({ hive_id: id, ...row }))));
    return lists.flat();
  };
  const handlers: HandlerTable = {
    status: () => queenStatus(registry, startedAt, () => hives.list().map((h) => ({ id: h.id, state: h.state }))),
    hive_list: async () => {
      const list = hives.list();
      narrate("hive_list", `${list.length} hive(s): ${list.map((h) => `${h.id} (${h.state})`).join(", ")}`, { level: "debug" });
      return list;
    },
    hive_forget: async (op) => {
      if (!hives.forget(op.hive_id)) throw new RbeeError("UNKNOWN_HIVE", `no hive named ${op.hive_id} is registered or pinned`, "See `rbee hive list`.", 404);
      narrate("hive_forgotten", `forgot hive ${op.hive_id}: its next heartbeat registers it again, at the URL it then gives`);
      return { hive_id: op.hive_id, forgotten: true };
    },
    // Workers, engines and devices of every online hive (or one), each row naming its hive.
    worker_list: (op, ctx) => perHive(op.hive_id, (id) => ({ operation: "worker_list", hive_id: id }), ctx),
    engine_list: (op, ctx) => perHive(op.hive_id, (id) => ({ operation: "engine_list", hive_id: id }), ctx),
    device_list: (op, ctx) => perHive(op.hive_id, (id) => ({ operation: "device_list", hive_id: id }), ctx),
    ...extra,
  };
  return executorFor(handlers, toHive);
}
