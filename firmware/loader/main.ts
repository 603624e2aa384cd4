// The boot loader image, installed as .bootcde. Until the slot loader lands
// (issue 6: boot record, trial boot, CRC check, rollback), it starts the
// application kept in Storage as "app.js".
import { layout, firmwareVersion } from "virtual:build";

const hasApp = require("Storage").read("app.js") !== undefined;
print("loader " + firmwareVersion + " on " + layout.name + ": " + (hasApp ? "starting app.js" : "no application in Storage"));
if (hasApp) load("app.js");
