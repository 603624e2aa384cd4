// `npm run build`: every board in boards/, every image (see host/toolchain/config.ts).
// Environment: FOTA_BOARD=esp32,linux  FOTA_VERSION=1.2.3  FOTA_MINIFY=0  FOTA_OUT=dist
import { readFileSync } from "node:fs";
import { rollupConfigs, settingsFromEnv } from "./host/toolchain/config.ts";

const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
export default rollupConfigs(settingsFromEnv(process.env, pkg.version));
