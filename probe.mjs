import { PGlite } from '@electric-sql/pglite';
let t=Date.now(); const db = await PGlite.create(); console.log('pglite create ms', Date.now()-t);
await db.exec("create table t(a jsonb, b timestamptz, c bigint)");
await db.query("insert into t values ($1,$2,$3)", [{x:1}, new Date(), 5]);
console.log((await db.query("select * from t")).rows);
t=Date.now(); const dump = await db.dumpDataDir('none'); console.log('dump ms', Date.now()-t, dump.size);
t=Date.now(); const db2 = await PGlite.create({loadDataDir: dump}); console.log('load ms', Date.now()-t, (await db2.query("select count(*)::int n from t")).rows);
t=Date.now(); const db3 = await db.clone(); console.log('clone ms', Date.now()-t);
