// A trial image that throws while it starts.
export {};
print("crashing app starting");
throw new Error("boom at start");
