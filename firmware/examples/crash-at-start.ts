// A release that throws while it starts: what the trial boot exists for.
// The demo ships it as v3 to show the rollback; tests use it too.
export {};
print("crashing app starting");
throw new Error("boom at start");
