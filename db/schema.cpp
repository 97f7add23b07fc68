#include "db/schema.h"

namespace taskmoe::db {

const QVector<QStringList> &migrations()
{
    static const QVector<QStringList> steps = {
        // 1: the whole product's schema.
        {
            R"(CREATE TABLE datasets (
                 id INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 kind TEXT NOT NULL,
                 source TEXT NOT NULL DEFAULT '',
                 fingerprint TEXT NOT NULL UNIQUE,
                 params_json TEXT NOT NULL DEFAULT '{}',
                 resource_threshold INTEGER NOT NULL DEFAULT 0,
                 created_at TEXT NOT NULL))",
            R"(CREATE TABLE dataset_languages (
                 dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
                 code TEXT NOT NULL,
                 name TEXT NOT NULL DEFAULT '',
                 family TEXT NOT NULL DEFAULT '',
                 script TEXT NOT NULL DEFAULT '',
                 PRIMARY KEY (dataset_id, code)))",
            R"(CREATE TABLE dataset_pairs (
                 id INTEGER PRIMARY KEY,
                 dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
                 src_lang TEXT NOT NULL,
                 tgt_lang TEXT NOT NULL,
                 train_count INTEGER NOT NULL DEFAULT 0,
                 dev_count INTEGER NOT NULL DEFAULT 0,
                 test_count INTEGER NOT NULL DEFAULT 0,
                 multiway_count INTEGER NOT NULL DEFAULT 0,
                 resource_class TEXT NOT NULL CHECK (resource_class IN ('high', 'low')),
                 UNIQUE (dataset_id, src_lang, tgt_lang)))",
            R"(CREATE TABLE segments (
                 id INTEGER PRIMARY KEY,
                 pair_id INTEGER NOT NULL REFERENCES dataset_pairs(id) ON DELETE CASCADE,
                 split TEXT NOT NULL CHECK (split IN ('train', 'dev', 'test', 'multiway')),
                 align_id INTEGER,
                 src TEXT NOT NULL,
                 tgt TEXT NOT NULL))",
            "CREATE INDEX segments_by_pair ON segments (pair_id, split)",
            R"(CREATE TABLE vocabularies (
                 id INTEGER PRIMARY KEY,
                 dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
                 vocab_size INTEGER NOT NULL,
                 temperature REAL NOT NULL,
                 sha256 TEXT NOT NULL,
                 params_json TEXT NOT NULL DEFAULT '{}',
                 model BLOB NOT NULL,
                 created_at TEXT NOT NULL))",
            R"(CREATE TABLE experiments (
                 id INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 description TEXT NOT NULL DEFAULT '',
                 created_at TEXT NOT NULL))",
            R"(CREATE TABLE runs (
                 id INTEGER PRIMARY KEY,
                 experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
                 dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
                 parent_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
                 name TEXT NOT NULL DEFAULT '',
                 kind TEXT NOT NULL,
                 preset TEXT NOT NULL DEFAULT '',
                 config_json TEXT NOT NULL DEFAULT '{}',
                 status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'finished', 'failed',
                                                        'cancelled', 'interrupted')),
                 pid INTEGER,
                 host TEXT NOT NULL DEFAULT '',
                 started_at TEXT,
                 ended_at TEXT,
                 error TEXT NOT NULL DEFAULT ''))",
            "CREATE TABLE metric_keys (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
            // One B-tree, keyed the way metrics are read (a run's curve of one key); a step
            // logged twice (a run resumed from an earlier checkpoint) keeps the newer value.
            R"(CREATE TABLE metrics (
                 run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                 key_id INTEGER NOT NULL REFERENCES metric_keys(id),
                 step INTEGER NOT NULL,
                 value REAL NOT NULL,
                 wall_time REAL NOT NULL,
                 PRIMARY KEY (run_id, key_id, step)) WITHOUT ROWID)",
            R"(CREATE TABLE checkpoints (
                 id INTEGER PRIMARY KEY,
                 run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                 step INTEGER NOT NULL,
                 path TEXT NOT NULL,
                 sha256 TEXT NOT NULL,
                 bytes INTEGER NOT NULL,
                 created_at TEXT NOT NULL))",
            R"(CREATE TABLE models (
                 id INTEGER PRIMARY KEY,
                 run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
                 checkpoint_id INTEGER REFERENCES checkpoints(id) ON DELETE SET NULL,
                 kind TEXT NOT NULL CHECK (kind IN ('full', 'subnetwork', 'student')),
                 task TEXT NOT NULL DEFAULT '',
                 path TEXT NOT NULL,
                 sha256 TEXT NOT NULL,
                 manifest_json TEXT NOT NULL DEFAULT '{}',
                 params_total INTEGER NOT NULL DEFAULT 0,
                 params_embedding INTEGER NOT NULL DEFAULT 0,
                 params_encoder INTEGER NOT NULL DEFAULT 0,
                 params_decoder INTEGER NOT NULL DEFAULT 0,
                 params_expert INTEGER NOT NULL DEFAULT 0,
                 params_active INTEGER NOT NULL DEFAULT 0,
                 created_at TEXT NOT NULL))",
            R"(CREATE TABLE evaluations (
                 id INTEGER PRIMARY KEY,
                 model_id INTEGER REFERENCES models(id) ON DELETE CASCADE,
                 run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
                 step INTEGER NOT NULL DEFAULT 0,
                 split TEXT NOT NULL,
                 pair TEXT NOT NULL,
                 metric TEXT NOT NULL,
                 score REAL NOT NULL,
                 signature TEXT NOT NULL DEFAULT '',
                 sentences INTEGER NOT NULL DEFAULT 0,
                 created_at TEXT NOT NULL))",
            R"(CREATE TABLE routing_stats (
                 model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
                 step INTEGER NOT NULL,
                 side TEXT NOT NULL CHECK (side IN ('encoder', 'decoder')),
                 layer INTEGER NOT NULL,
                 task TEXT NOT NULL,
                 expert INTEGER NOT NULL,
                 top1 INTEGER NOT NULL,
                 topk INTEGER NOT NULL,
                 gate_mass REAL NOT NULL,
                 processed INTEGER NOT NULL,
                 PRIMARY KEY (model_id, step, side, layer, task, expert)))",
            R"(CREATE TABLE benchmarks (
                 id INTEGER PRIMARY KEY,
                 model_id INTEGER REFERENCES models(id) ON DELETE CASCADE,
                 kind TEXT NOT NULL,
                 batch_size INTEGER NOT NULL DEFAULT 0,
                 tokens_per_s REAL NOT NULL DEFAULT 0,
                 latency_ms REAL NOT NULL DEFAULT 0,
                 peak_rss_bytes INTEGER NOT NULL DEFAULT 0,
                 encoder_ms REAL NOT NULL DEFAULT 0,
                 decoder_ms REAL NOT NULL DEFAULT 0,
                 config_json TEXT NOT NULL DEFAULT '{}',
                 created_at TEXT NOT NULL))",
        },
        // 2: evaluation rows say whether they are a paper aggregate (average, xx-en, en-xx, high,
        //    low) rather than a language pair, and with which decoding settings they were made.
        {
            "ALTER TABLE evaluations ADD COLUMN aggregate INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE evaluations ADD COLUMN config_json TEXT NOT NULL DEFAULT '{}'",
            "CREATE INDEX evaluations_by_run ON evaluations (run_id, step)",
        },
        // 3: routing statistics keep the gate weight of first choices apart, for the importance
        //    measure expert pruning uses (first choices × exp(mean first-choice gate)).
        {
            "ALTER TABLE routing_stats ADD COLUMN top1_gate_mass REAL NOT NULL DEFAULT 0",
        },
        // 4: a run's checkpoints and models, and a model's benchmarks, found through an index: a
        //    store of 10,000 runs listed them by scanning the tables once per run.
        {
            "CREATE INDEX checkpoints_by_run ON checkpoints (run_id, step)",
            "CREATE INDEX models_by_run ON models (run_id)",
            "CREATE INDEX benchmarks_by_model ON benchmarks (model_id)",
        },
    };
    return steps;
}

} // namespace taskmoe::db
