"""The execution environment: what ansible-builder makes of the collections' requirements, and its build context.

``ansible-builder introspect`` runs over a folder holding the three collections the image holds (this
repository as sorrypage.aws, amazon.aws and kubernetes.core from the ``ansible`` package of the venv),
exactly as the image's builder stage does. ansible-builder 3 no longer merges lines (``--sanitize`` is
a no-op kept for compatibility): pip combines the specifiers of one package at install time. So the
test merges them the way pip does, by package name, and checks the result: nothing lost or doubled,
the ``kubernetes<37`` pin kept, and every merged specifier admits the version the tests run with
(a conflict would admit none). ``ansible-builder create`` then writes the build context without any
container engine.
"""
import os
import shutil
import subprocess
import tarfile
from importlib.metadata import PackageNotFoundError, version

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.ansible_run import REPO, VENV_BIN

SITE_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(yaml.__file__)), 'ansible_collections')
EE_DEFINITION = os.path.join(REPO, 'execution-environment', 'execution-environment.yml')
OURS = 'sorrypage.aws'


def _tool(name):
    return os.path.join(VENV_BIN, name)


def _run(args, cwd=None):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    command = ' '.join(args)
    assert proc.returncode == 0, '%s failed (rc %d):\n%s\n%s' % (command, proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def _collection_reqs(root, kind):
    """The requirement lines (comments and blanks dropped) a collection declares for ansible-builder."""
    meta = os.path.join(root, 'meta', 'execution-environment.yml')
    name = {'python': 'requirements.txt', 'system': 'bindep.txt'}[kind]
    if os.path.exists(meta):
        with open(meta) as handle:
            name = yaml.safe_load(handle)['dependencies'].get(kind) or name
    path = os.path.join(root, name)
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        lines = [line.split(' #')[0].strip() for line in handle]
    return [line for line in lines if line and not line.startswith('#')]


def parse_introspect(lines):
    """[(requirement line, collection)] from ansible-builder's annotated lines."""
    out = []
    for line in lines:
        req, sep, source = line.partition('  # from collection ')
        assert sep, 'introspect line without its collection: %r' % line
        out.append((req.strip(), source.strip()))
    return out


def merge_python(annotated):
    """{canonical name: (SpecifierSet, [collections])}, the way pip combines repeated requirements."""
    merged = {}
    for line, source in annotated:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        spec, sources = merged.get(name, (SpecifierSet(), []))
        merged[name] = (spec & req.specifier, sources + [source])
    return merged


def merge_problems(merged, installed):
    """Why a merged requirement list is unusable: exact pins that disagree, or specifiers the version the
    tests run with does not satisfy (``installed``: {canonical name: version}, the venv's)."""
    problems = []
    for name, (spec, sources) in sorted(merged.items()):
        pins = set(s.version for s in spec if s.operator in ('==', '==='))
        if len(pins) > 1:
            problems.append('%s pinned to %s by %s' % (name, ' and '.join(sorted(pins)), ', '.join(sources)))
        elif name in installed and not spec.contains(installed[name], prereleases=True):
            problems.append('%s%s (from %s) does not admit %s, the version the tests run with'
                            % (name, spec, ', '.join(sources), installed[name]))
    return problems


def _installed(names):
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


@pytest.fixture(scope='module')
def collections_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp('ee') / 'collections'
    paths = {
        ('sorrypage', 'aws'): REPO,
        ('amazon', 'aws'): os.path.join(SITE_COLLECTIONS, 'amazon', 'aws'),
        ('kubernetes', 'core'): os.path.join(SITE_COLLECTIONS, 'kubernetes', 'core'),
    }
    for (namespace, name), src in paths.items():
        assert os.path.isdir(src), 'collection %s.%s not found at %s' % (namespace, name, src)
        (root / 'ansible_collections' / namespace).mkdir(parents=True, exist_ok=True)
        os.symlink(src, str(root / 'ansible_collections' / namespace / name))
    return root


@pytest.fixture(scope='module')
def introspected(collections_dir):  # pylint: disable=redefined-outer-name
    out = _run([_tool('ansible-builder'), 'introspect', '--sanitize', str(collections_dir)])
    data = yaml.safe_load(out[out.index('---'):])
    return {'python': parse_introspect(data['python']), 'system': parse_introspect(data['system'])}


def test_our_meta_points_at_the_repository_requirements():
    with open(os.path.join(REPO, 'meta', 'execution-environment.yml')) as handle:
        meta = yaml.safe_load(handle)
    assert meta['version'] == 1
    assert meta['dependencies'] == {'python': 'requirements.txt', 'system': 'bindep.txt'}


def test_our_requirements_cover_what_the_plugins_import():
    names = set(canonicalize_name(Requirement(line).name) for line in _collection_reqs(REPO, 'python'))
    # boto3/botocore (amazon.aws clients), kubernetes (lbc_pause, ingress_sorry), jinja2 (page templates),
    # minify-html (the 1024-character page budget).
    assert {'boto3', 'botocore', 'kubernetes', 'jinja2', 'minify-html'} <= names


def test_every_requirement_of_every_collection_is_in_the_merged_list_once(introspected, collections_dir):
    for kind in ('python', 'system'):
        got = sorted(introspected[kind])
        expected = []
        for namespace, name in (('sorrypage', 'aws'), ('amazon', 'aws'), ('kubernetes', 'core')):
            root = str(collections_dir / 'ansible_collections' / namespace / name)
            expected += [(line, '%s.%s' % (namespace, name)) for line in _collection_reqs(root, kind)]
        assert got == sorted(expected), kind
        assert len(set(got)) == len(got), 'a %s requirement repeated within one collection: %r' % (kind, got)


def test_merged_python_requirements_keep_the_kubernetes_pin_and_do_not_conflict(introspected):
    merged = merge_python(introspected['python'])
    assert sorted(merged) == ['boto3', 'botocore', 'jinja2', 'jsonpatch', 'kubernetes', 'minify-html',
                              'requests-oauthlib']
    kubernetes, sources = merged['kubernetes']
    assert OURS in sources and 'kubernetes.core' in sources
    assert not kubernetes.contains('37.0.0') and not kubernetes.contains('37.1.0')
    assert kubernetes.contains('36.0.3')
    assert merge_problems(merged, _installed(merged)) == []


def test_merge_problems_reports_conflicts():
    """The checker itself: a conflicting pin and a specifier the tests' version misses are both reported."""
    merged = merge_python([('boto3==1.34.0', 'a.b'), ('boto3==1.35.0', 'c.d'), ('kubernetes<30', 'e.f')])
    problems = merge_problems(merged, {'kubernetes': '36.0.3', 'boto3': '1.34.0'})
    assert problems == ['boto3 pinned to 1.34.0 and 1.35.0 by a.b, c.d',
                        'kubernetes<30 (from e.f) does not admit 36.0.3, the version the tests run with']


def test_test_only_system_packages_stay_out_of_the_image(introspected):
    ours = [line for line, source in introspected['system'] if source == OURS]
    assert 'python3 [platform:dpkg platform:rpm]' in ours
    for line in ours:
        if line.split()[0] in ('chromium', 'python3-venv'):
            # bindep installs a [test]-profile entry only when asked for that profile; the image build does not.
            assert 'test' in line.split('[', 1)[1], line


def test_definition_is_ansible_builder_v3_with_the_aws_cli():
    with open(EE_DEFINITION) as handle:
        definition = yaml.safe_load(handle)
    assert definition['version'] == 3
    deps = definition['dependencies']
    assert [c['name'] for c in deps['galaxy']['collections']] == ['amazon.aws', 'kubernetes.core']
    steps = ' '.join(definition['additional_build_steps']['append_final'])
    assert 'awscli-exe-linux-' in steps and 'aws --version' in steps
    galaxy_steps = ' '.join(definition['additional_build_steps']['append_galaxy'])
    assert '/usr/share/ansible/collections' in galaxy_steps and 'sorrypage-aws-' in galaxy_steps


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    """This collection as execution-environment/build.sh gives it to the image: the committed tree (git archive
    HEAD), built with ansible-galaxy collection build."""
    src = tmp_path_factory.mktemp('src')
    out = tmp_path_factory.mktemp('tarball')
    archive = subprocess.run(['git', '-C', REPO, 'archive', 'HEAD'], capture_output=True, timeout=120, check=True)
    subprocess.run(['tar', '-x', '-C', str(src)], input=archive.stdout, timeout=120, check=True)
    _run([_tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(out), str(src)])
    found = [n for n in os.listdir(str(out)) if n.startswith('sorrypage-aws-') and n.endswith('.tar.gz')]
    assert len(found) == 1, found
    return out / found[0]


def test_tarball_installs_offline_beside_its_dependencies(tarball, tmp_path):  # pylint: disable=redefined-outer-name
    """The definition's append_galaxy step, without a container: --offline, amazon.aws and kubernetes.core already
    there; then the introspection the builder stage runs finds our requirements in the installed collection."""
    root = tmp_path / 'collections'
    for namespace, name in (('amazon', 'aws'), ('kubernetes', 'core')):
        (root / 'ansible_collections' / namespace).mkdir(parents=True)
        os.symlink(os.path.join(SITE_COLLECTIONS, namespace, name), str(root / 'ansible_collections' / namespace / name))
    # Not the repository's ansible.cfg (its collections_path has .collections, a link to this repository).
    env = dict((k, v) for k, v in os.environ.items() if k not in ('ANSIBLE_CONFIG', 'ANSIBLE_COLLECTIONS_PATH'))
    proc = subprocess.run([_tool('ansible-galaxy'), 'collection', 'install', '--offline', '--collections-path',
                           str(root), str(tarball)], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = root / 'ansible_collections' / 'sorrypage' / 'aws'
    assert (installed / 'MANIFEST.json').is_file() and not installed.is_symlink()
    out = _run([_tool('ansible-builder'), 'introspect', str(root)])
    python = parse_introspect(yaml.safe_load(out[out.index('---'):])['python'])
    assert [line for line, source in python if source == OURS] == _collection_reqs(REPO, 'python')


def test_create_writes_the_build_context(tarball, tmp_path):  # pylint: disable=redefined-outer-name
    """Without a container engine: the Containerfile, our collection's tarball, the galaxy requirements."""
    with tarfile.open(str(tarball)) as tar:
        members = set(tar.getnames())
    # What the image's introspection reads from the installed collection.
    assert {'meta/execution-environment.yml', 'requirements.txt', 'bindep.txt', 'MANIFEST.json'} <= members
    # Nothing of a working tree's own (.ansible/ holds a stale copy of the collection, .pytest_cache, ...).
    assert not [m for m in members if m.split('/')[0] in ('.ansible', '.pytest_cache', '.venv', '.collections')]
    shutil.copy(str(tarball), str(tmp_path))
    definition = tmp_path / 'execution-environment.yml'
    with open(EE_DEFINITION) as src:
        definition.write_text(src.read())
    context = tmp_path / 'context'
    _run([_tool('ansible-builder'), 'create', '--file', str(definition), '--context', str(context),
          '--output-filename', 'Containerfile'])
    containerfile = (context / 'Containerfile').read_text()
    assert (context / '_build' / 'collections' / tarball.name).is_file()
    with open(str(context / '_build' / 'requirements.yml')) as handle:
        galaxy = yaml.safe_load(handle)
    assert [c['name'] for c in galaxy['collections']] == ['amazon.aws', 'kubernetes.core']
    assert 'unzip' in (context / '_build' / 'bindep.txt').read_text()
    assert 'ansible-core==2.19.14 ansible-runner==2.4.3' in containerfile
    assert '--collections-path /usr/share/ansible/collections /build/collections/sorrypage-aws-*.tar.gz' \
        in containerfile
    # The collections' requirements are merged in the image by introspect, then the AWS CLI comes last.
    assert containerfile.index('introspect.py introspect') < containerfile.index('awscli-exe-linux-')
