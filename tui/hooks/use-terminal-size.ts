import { useStdout } from "ink";
import { useEffect, useState } from "react";
import type { Size } from "../layout.ts";

const read = (stdout: NodeJS.WritableStream): Size => {
  const tty = stdout as Partial<NodeJS.WriteStream>;
  return { columns: tty.columns || 80, rows: tty.rows || 24 };
};

/** The terminal's size, updated on every resize; `forced` pins it (tests). */
export function useTerminalSize(forced?: Size): Size {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => read(stdout));
  useEffect(() => {
    if (forced) return;
    const onResize = () => setSize(read(stdout));
    stdout.on("resize", onResize);
    return () => void stdout.off("resize", onResize);
  }, [stdout, forced]);
  return forced ?? size;
}
