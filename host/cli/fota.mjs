#!/usr/bin/env node
// The `fota` command (package.json "bin"): TypeScript run through tsx.
import { register } from "tsx/esm/api";

// The SDK warns on every run that future versions need Node 22; the CLI works on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
await import("./main.ts");
