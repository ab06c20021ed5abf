import { assertEquals, assertThrows } from "@std/assert";
import {
  defaultKernelDir,
  folderFromInstallMessage,
  kernelEnv,
  patchKernelJson,
} from "../tools/jupyter_install.ts";

Deno.test("jupyter:install: kernel.json keeps its fields and gains the env settings", () => {
  const written = JSON.stringify({
    argv: ["/usr/local/bin/deno", "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
    env: { KEEP: "1", DENO_V8_FLAGS: "--old" },
  });
  const spec = JSON.parse(patchKernelJson(written, kernelEnv(4096)));
  assertEquals(spec.argv[4], "{connection_file}");
  assertEquals(spec.display_name, "Deno");
  assertEquals(spec.env, {
    KEEP: "1",
    DENO_V8_FLAGS: "--max-old-space-size=4096",
    DENO_NO_UPDATE_CHECK: "1",
  });
  assertThrows(() => patchKernelJson("{", {}), Error, "not valid JSON");
  assertThrows(() => patchKernelJson("[]", {}), Error, '"argv"');
  assertThrows(() => kernelEnv(12.5), Error, "--heap-mb");
});

Deno.test("jupyter:install: the kernel folder from deno's message, else the platform's default", () => {
  const msg =
    'Warning "deno jupyter" is unstable\n✅ Deno kernelspec installed successfully at /h/.local/share/jupyter/kernels/deno.\n';
  assertEquals(folderFromInstallMessage(msg), "/h/.local/share/jupyter/kernels/deno");
  assertEquals(folderFromInstallMessage("something else"), undefined);
  const env = (m: Record<string, string>) => (k: string) => m[k];
  assertEquals(
    defaultKernelDir("deno", "linux", env({ HOME: "/h" })),
    "/h/.local/share/jupyter/kernels/deno",
  );
  assertEquals(
    defaultKernelDir("deno", "linux", env({ HOME: "/h", XDG_DATA_HOME: "/x" })),
    "/x/jupyter/kernels/deno",
  );
  assertEquals(defaultKernelDir("d", "darwin", env({ HOME: "/u" })), "/u/Library/Jupyter/kernels/d");
});
