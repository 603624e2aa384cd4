// A board that looks for its AWS IoT configuration at boot and again later,
// as an application retrying would: the problems must be printed once.
import { loadConfig } from "../../../firmware/aws/config";

var first = loadConfig();
setTimeout(function () {
  var second = loadConfig();
  print("checked " + (first === null) + " " + (second === null));
}, 300);
