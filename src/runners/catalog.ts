// The chains and pipelines a runner process uses: the built-in files, overridden by the
// site's files of the same name under [dsl] chain_dir / pipeline_dir.
import type { Config } from '../config/config.js';
import { DslCatalog } from '../dsl/catalog.js';
import { BUILTIN_CHAIN_DIR, BUILTIN_PIPELINE_DIR } from '../paths.js';
import { loadBuiltins } from '../registry.js';

export async function openCatalog(config: Config): Promise<DslCatalog> {
  await loadBuiltins();
  return DslCatalog.load({
    builtinChains: BUILTIN_CHAIN_DIR,
    builtinPipelines: BUILTIN_PIPELINE_DIR,
    siteChains: config.path('dsl', 'chain_dir'),
    sitePipelines: config.path('dsl', 'pipeline_dir'),
  });
}
