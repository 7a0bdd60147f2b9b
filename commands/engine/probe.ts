import { Command, Option } from "clipanion";
import * as t from "typanion";
import { BACKENDS } from "../../src/engine/backends.ts";
import { RbeeCommand } from "../rbee-command.ts";

export class EngineProbeCommand extends RbeeCommand {
  static paths = [["engine", "probe"]];
  static usage = Command.Usage({
    category: "Engines",
    description: "start llama.cpp on one backend in this process and print what it sees (one JSON line)",
    details: "Hives run this in a child process to list devices and check engines: a driver that aborts takes only the probe with it. Set GGML_VK_VISIBLE_DEVICES / CUDA_VISIBLE_DEVICES to look at one device.",
    examples: [["The Vulkan engine, device 0", "GGML_VK_VISIBLE_DEVICES=0 $0 engine probe vulkan"]],
  });

  backend = Option.String({ name: "backend", validator: t.isEnum(BACKENDS) });

  async run(): Promise<number> {
    const { probeBackend } = await import("../../src/engine/engine-probe-report.ts");
    const report = await probeBackend(this.backend);
    this.context.stdout.write(`${JSON.stringify(report)}\n`);
    return report.loads ? 0 : 1;
  }
}
