// A trial image that runs but never calls confirm().
export {};
print("silent app running");
setInterval(() => undefined, 1000);
