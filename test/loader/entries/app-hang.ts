// A trial image that hangs the interpreter shortly after it starts.
export {};
print("hanging app running");
setTimeout(() => {
  // Busy forever (the call keeps the minifier from dropping the loop): only the watchdog gets the board back.
  while (getTime() > 0) {
    // spin
  }
}, 100);
