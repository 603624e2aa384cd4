// The statement that runs the image the loader chose, placed after the
// loader's bundle in .bootcde (the build's footer for the loader image), so
// that it runs in the interpreter's root scope.
//
// Why at the root: the interpreter's eval runs in its caller's scope, and every
// function the evaluated code creates keeps a copy of the whole scope chain it
// was made in (one variable per scope, and one more for the copy, unless the
// chain is one scope long: docs/interpreter.md, "What a function costs"). Evaluated
// from inside the loader's functions, each of the image's functions paid for
// the loader's scopes, and kept them, and so everything in them, alive.

/** The global through which the loader hands the image over: a ReadyImage (firmware/boot/loader.ts). */
export const READY_IMAGE = "__fotaReady";

/**
 * Evaluates the ready image, if the loader left one, and lets go of it, even
 * when the loader rethrows: what is left of the loader then is what the
 * image keeps (its boot context). A crash while the image starts is the
 * loader's to handle (readySlot). Plain ES5; the minifier and the
 * compatibility gate treat it with the rest of the loader.
 */
export const ROOT_RUN = `if(global.${READY_IMAGE}){try{eval(${READY_IMAGE}.code)}catch(e){${READY_IMAGE}.crashed(e)}finally{delete global.${READY_IMAGE}}}`;
