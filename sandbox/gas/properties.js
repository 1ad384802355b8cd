/*
 * PropertiesService, CacheService and LockService doubles.
 *
 * Limits mirrored (reference/google.md §2.4–§2.5): property values are strings, at most 9 KB each and
 * 500 KB per store; cache keys ≤ 250 chars, values ≤ 100 KB, put() expiry 1..21600 s (default 600);
 * getDocumentLock() is one lock per document; tryLock(ms) returns a boolean, waitLock(ms) throws on
 * timeout, and a lock is released when its execution ends. A lock held by "another execution" is
 * modelled by state.locks.document = {execution: <other id>} (see tests).
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const { utf8Encode } = ns.bytes;

  const VALUE_MAX = 9 * 1024;
  const STORE_MAX = 500 * 1024;

  function size(map) {
    let n = 0;
    for (const [k, v] of map) n += utf8Encode(k).length + utf8Encode(v).length;
    return n;
  }

  function properties(ex, name, map) {
    const rec = (op, key) => ex.record('Properties.' + op, { store: name, key });
    const check = (key, value) => {
      if (utf8Encode(value).length > VALUE_MAX) throw new Error('Argument too large: value');
      const next = new Map(map);
      next.set(key, value);
      if (size(next) > STORE_MAX) throw new Error('You have exceeded the property storage quota. Please remove some properties and try again.');
    };
    const self = {
      getProperty(key) {
        rec('get', key);
        return map.has(String(key)) ? map.get(String(key)) : null;
      },
      getProperties() {
        rec('getAll');
        return Object.fromEntries(map);
      },
      getKeys() {
        rec('getKeys');
        return Array.from(map.keys());
      },
      setProperty(key, value) {
        rec('set', key);
        check(String(key), String(value));
        map.set(String(key), String(value));
        return self;
      },
      setProperties(obj, deleteAllOthers) {
        rec('setAll');
        if (deleteAllOthers) map.clear();
        for (const [k, v] of Object.entries(obj)) {
          check(k, String(v));
          map.set(k, String(v));
        }
        return self;
      },
      deleteProperty(key) {
        rec('delete', key);
        map.delete(String(key));
        return self;
      },
      deleteAllProperties() {
        rec('deleteAll');
        map.clear();
        return self;
      },
    };
    return self;
  }

  function createPropertiesService(ex) {
    const p = ex.state.properties;
    const need = (m) => ex.check('PropertiesService.' + m, 'LIMITED');
    return {
      getScriptProperties: () => (need('getScriptProperties'), properties(ex, 'script', p.script)),
      getDocumentProperties: () => (need('getDocumentProperties'), properties(ex, 'document', p.document)),
      getUserProperties() {
        need('getUserProperties');
        const email = ex.state.user.email;
        if (!p.user.has(email)) p.user.set(email, new Map());
        return properties(ex, 'user', p.user.get(email));
      },
    };
  }

  function cache(ex, map) {
    const now = () => ex.state.now();
    const live = (key) => {
      const e = map.get(key);
      if (e && e.expires <= now()) map.delete(key);
      return map.get(key);
    };
    const put = (key, value, seconds) => {
      if (String(key).length > 250) throw new Error('Argument too large: key');
      if (utf8Encode(String(value)).length > 100 * 1024) throw new Error('Argument too large: value');
      const s = seconds === undefined ? 600 : Math.min(Math.max(1, seconds), 21600);
      map.set(String(key), { value: String(value), expires: now() + s * 1000 });
    };
    return {
      get: (key) => (live(String(key)) ? live(String(key)).value : null),
      getAll: (keys) => Object.fromEntries(keys.filter((k) => live(k)).map((k) => [k, live(k).value])),
      put,
      putAll: (obj, seconds) => Object.entries(obj).forEach(([k, v]) => put(k, v, seconds)),
      remove: (key) => map.delete(String(key)),
      removeAll: (keys) => keys.forEach((k) => map.delete(String(k))),
    };
  }

  function createCacheService(ex) {
    const c = ex.state.caches;
    const need = (m) => ex.check('CacheService.' + m, 'LIMITED');
    return {
      getScriptCache: () => (need('getScriptCache'), cache(ex, c.script)),
      getDocumentCache: () => (need('getDocumentCache'), cache(ex, c.document)),
      getUserCache() {
        need('getUserCache');
        if (!c.user.has(ex.state.user.email)) c.user.set(ex.state.user.email, new Map());
        return cache(ex, c.user.get(ex.state.user.email));
      },
    };
  }

  /** slot: {get: () => holder|null, set: (holder|null) => void}; holder = {execution}. */
  function lock(ex, name, slot) {
    const mine = () => Boolean(slot.get() && slot.get().execution === ex.id);
    const release = () => {
      if (mine()) {
        slot.set(null);
        ex.record('Lock.release', { lock: name });
      }
      ex.heldLocks.delete(release);
    };
    const acquire = (timeoutMs) => {
      const deadline = ex.state.now() + Math.max(0, timeoutMs);
      for (;;) {
        if (mine()) return true;
        if (!slot.get()) {
          slot.set({ execution: ex.id });
          ex.heldLocks.add(release);
          ex.record('Lock.acquire', { lock: name });
          return true;
        }
        if (ex.state.now() >= deadline) return false;
        if (ex.state.sleep) ex.state.sleep(Math.min(50, deadline - ex.state.now()));
      }
    };
    return {
      tryLock: (timeoutMs) => acquire(timeoutMs),
      waitLock(timeoutMs) {
        if (!acquire(timeoutMs)) throw new Error('Lock timeout: another process was holding the lock for too long.');
      },
      hasLock: mine,
      releaseLock: release,
    };
  }

  function createLockService(ex) {
    const l = ex.state.locks;
    const need = (m) => ex.check('LockService.' + m, 'LIMITED');
    return {
      getDocumentLock: () => (need('getDocumentLock'), lock(ex, 'document', { get: () => l.document, set: (h) => (l.document = h) })),
      getScriptLock: () => (need('getScriptLock'), lock(ex, 'script', { get: () => l.script, set: (h) => (l.script = h) })),
      getUserLock() {
        need('getUserLock');
        const email = ex.state.user.email;
        return lock(ex, 'user', { get: () => l.user.get(email) || null, set: (h) => l.user.set(email, h) });
      },
    };
  }

  ns.createPropertiesService = createPropertiesService;
  ns.createCacheService = createCacheService;
  ns.createLockService = createLockService;
  ns.limits = Object.assign(ns.limits || {}, { PROPERTY_VALUE_MAX: VALUE_MAX, PROPERTY_STORE_MAX: STORE_MAX });
})(globalThis);
