// The application image. For now it announces itself; the example firmware
// (Thing, Jobs, handleFotaJobs, samples to dev/sample) lands with issue 7.
import { layout, firmwareVersion } from "virtual:build";

print("app " + firmwareVersion + " on " + layout.name + ", " + layout.slots.length + " code slots");
