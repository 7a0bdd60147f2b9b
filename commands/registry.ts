import type { CommandClass } from "clipanion";
import { JobsCancelCommand } from "./jobs/cancel.ts";
import { JobsGetCommand } from "./jobs/get.ts";
import { JobsListCommand } from "./jobs/list.ts";
import { JobsLogsCommand } from "./jobs/logs.ts";
import { ServeCommand } from "./serve.ts";
import { StatusCommand } from "./status.ts";

/** Every command rbee offers: one class per file under commands/<namespace>/<verb>.ts. */
export const commands: CommandClass[] = [ServeCommand, StatusCommand, JobsListCommand, JobsGetCommand, JobsLogsCommand, JobsCancelCommand];
