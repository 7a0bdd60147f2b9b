import type { CommandClass } from "clipanion";

/** Every command rbee offers: one class per file under commands/<namespace>/<verb>.ts. */
export const commands: CommandClass[] = [];
