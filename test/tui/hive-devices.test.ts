import { describe, expect, it } from "vitest";
import { hiveRows, hivesTable } from "../../tui/views/hives.ts";

describe("dashboard: the hives view", () => {
  it("shows each hive's devices as the hive reported them", () => {
    const [row] = hiveRows([{ id: "gpu1", state: "online", embedded: false, devices: ["cpu:0", "cuda:0", "vulkan:0"] }], []);
    const devices = hivesTable.columns.find((c) => c.title === "DEVICES")!;
    expect(devices.get(row!, Date.now())).toBe("cpu:0 cuda:0 vulkan:0");
  });
});
