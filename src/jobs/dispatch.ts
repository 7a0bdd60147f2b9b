import type { Operation, OperationName, OperationOf } from "../protocol/operations.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { Executor, ExecutorContext } from "./job-runner.ts";

export type Handler<N extends OperationName> = (op: OperationOf<N>, ctx: ExecutorContext) => Promise<unknown>;
export type HandlerTable = { [N in OperationName]?: Handler<N> };

/** An executor that runs each operation's handler; operations without one say so clearly. */
export function executorFor(handlers: HandlerTable, fallback?: Executor): Executor {
  return (op: Operation, ctx: ExecutorContext) => {
    const handler = handlers[op.operation] as Handler<OperationName> | undefined;
    if (handler) return handler(op as never, ctx);
    if (fallback) return fallback(op, ctx);
    return Promise.reject(
      new RbeeError("NOT_AVAILABLE", `operation ${op.operation} is not available yet`, `Available here: ${Object.keys(handlers).join(", ")}.`, 501),
    );
  };
}
