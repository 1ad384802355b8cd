/// <reference types="google-apps-script" />
// Where Google's reference is stricter than @types/google-apps-script, the add-on is checked against
// the reference. Merged interface members come first in overload resolution, so these win.
declare namespace GoogleAppsScript {
  namespace Lock {
    interface LockService {
      // "If this method is called outside of the context of a containing document (such as from a
      // standalone script or webapp), null is returned."
      // https://developers.google.com/apps-script/reference/lock/lock-service#getDocumentLock()
      getDocumentLock(): Lock | null;
    }
  }
}
