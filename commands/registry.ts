import type { CommandClass } from "clipanion";
import { AuditVerifyCommand } from "./audit/verify.ts";
import { CompleteCommand } from "./complete.ts";
import { CompletionCommand } from "./completion.ts";
import { HiveInstallCommand } from "./hive/install.ts";
import { HiveStartCommand } from "./hive/start.ts";
import { HiveStopCommand } from "./hive/stop.ts";
import { HiveStatusCommand } from "./hive/status.ts";
import { HiveUninstallCommand } from "./hive/uninstall.ts";
import { HiveUpgradeCommand } from "./hive/upgrade.ts";
import { HiveListCommand } from "./hive/list.ts";
import { HiveForgetCommand } from "./hive/forget.ts";
import { HiveTokenCommand } from "./hive/token.ts";
import { InferCommand } from "./infer.ts";
import { JobsCancelCommand } from "./jobs/cancel.ts";
import { JobsGetCommand } from "./jobs/get.ts";
import { JobsListCommand } from "./jobs/list.ts";
import { JobsLogsCommand } from "./jobs/logs.ts";
import { ModelAliasCommand } from "./model/alias.ts";
import { ModelCopyCommand } from "./model/copy.ts";
import { ModelCreateDemoCommand } from "./model/create-demo.ts";
import { ModelDeleteCommand } from "./model/delete.ts";
import { ModelDownloadCommand } from "./model/download.ts";
import { ModelGetCommand } from "./model/get.ts";
import { ModelListCommand } from "./model/list.ts";
import { QueenStartCommand } from "./queen/start.ts";
import { QueenStatusCommand } from "./queen/status.ts";
import { QueenStopCommand } from "./queen/stop.ts";
import { ServeCommand } from "./serve.ts";
import { StatusCommand } from "./status.ts";
import { TuiCommand } from "./tui.ts";
import { DevicesCommand } from "./devices.ts";
import { EngineInstallCommand } from "./engine/install.ts";
import { EngineListCommand } from "./engine/list.ts";
import { EngineProbeCommand } from "./engine/probe.ts";
import { EngineRemoveCommand } from "./engine/remove.ts";
import { WorkerGetCommand } from "./worker/get.ts";
import { WorkerListCommand } from "./worker/list.ts";
import { WorkerServeCommand } from "./worker/serve.ts";
import { WorkerSpawnCommand } from "./worker/spawn.ts";
import { WorkerStandbyCommand } from "./worker/standby.ts";
import { WorkerStopCommand } from "./worker/stop.ts";

/** Every command rbee offers: one class per file under commands/<namespace>/<verb>.ts. */
export const commands: CommandClass[] = [
  // First: clipanion shows the general help only if a documented command follows the default one.
  TuiCommand,
  ServeCommand,
  StatusCommand,
  InferCommand,
  JobsListCommand,
  JobsGetCommand,
  JobsLogsCommand,
  JobsCancelCommand,
  ModelDownloadCommand,
  ModelCreateDemoCommand,
  ModelListCommand,
  ModelGetCommand,
  ModelDeleteCommand,
  ModelAliasCommand,
  ModelCopyCommand,
  WorkerSpawnCommand,
  WorkerListCommand,
  WorkerGetCommand,
  WorkerStopCommand,
  WorkerServeCommand,
  WorkerStandbyCommand,
  EngineListCommand,
  EngineInstallCommand,
  EngineRemoveCommand,
  EngineProbeCommand,
  DevicesCommand,
  HiveListCommand,
  HiveInstallCommand,
  HiveStartCommand,
  HiveStopCommand,
  HiveStatusCommand,
  HiveUninstallCommand,
  HiveUpgradeCommand,
  HiveForgetCommand,
  HiveTokenCommand,
  QueenStartCommand,
  QueenStopCommand,
  QueenStatusCommand,
  AuditVerifyCommand,
  CompletionCommand,
  CompleteCommand,
];
