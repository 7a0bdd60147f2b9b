import { UsageError } from "clipanion";

/** `--gpu-layers auto|max|N` as the wire wants it. */
export function parseGpuLayers(value: string | undefined): "auto" | "max" | number | undefined {
  if (value === undefined || value === "auto" || value === "max") return value;
  if (/^\d{1,5}$/.test(value)) return Number(value);
  throw new UsageError(`--gpu-layers must be auto, max or a number of layers, not "${value}"`);
}
