/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Viewer {\n    viewer {\n      role\n      subject\n      project {\n        id\n        name\n      }\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation CreateExperiment($input: CreateExperimentInput!) {\n    createExperiment(input: $input) {\n      id\n      name\n      description\n      hypothesis\n      tags\n      archived\n      createdAt\n      updatedAt\n    }\n  }\n": typeof types.CreateExperimentDocument,
    "\n  mutation UpdateExperiment($id: ID!, $input: UpdateExperimentInput!) {\n    updateExperiment(id: $id, input: $input) {\n      id\n      name\n      description\n      tags\n      updatedAt\n    }\n  }\n": typeof types.UpdateExperimentDocument,
    "\n  mutation ArchiveExperiment($id: ID!) {\n    archiveExperiment(id: $id) {\n      id\n      archived\n    }\n  }\n": typeof types.ArchiveExperimentDocument,
    "\n  query ListExperiments($first: Int, $after: String, $search: String, $tags: [String!], $includeArchived: Boolean) {\n    experiments(first: $first, after: $after, search: $search, tags: $tags, includeArchived: $includeArchived) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n        }\n      }\n      nodes {\n        id\n        name\n        tags\n        archived\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.ListExperimentsDocument,
    "\n  query ExperimentsWithRuns($first: Int) {\n    experiments(first: $first) {\n      totalCount\n      nodes {\n        id\n        name\n        runCount\n        latestRun {\n          id\n          status\n          experiment {\n            id\n          }\n          models {\n            id\n            name\n          }\n          promptVersions {\n            id\n            version\n            prompt {\n              id\n              name\n            }\n          }\n        }\n        runs(first: 2) {\n          totalCount\n          nodes {\n            id\n            status\n          }\n          pageInfo {\n            hasNextPage\n          }\n        }\n      }\n    }\n  }\n": typeof types.ExperimentsWithRunsDocument,
    "\n  query GetExperiment($id: ID!) {\n    experiment(id: $id) {\n      id\n      name\n    }\n  }\n": typeof types.GetExperimentDocument,
    "\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Experiment {\n        name\n      }\n      ... on Prompt {\n        name\n      }\n      ... on PromptVersion {\n        version\n      }\n      ... on Model {\n        name\n      }\n      ... on Run {\n        status\n      }\n      ... on ApiKey {\n        name\n      }\n      ... on Project {\n        name\n      }\n    }\n  }\n": typeof types.NodeDocument,
    "\n  mutation CreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      provider\n      modelName\n      baseUrl\n      hasApiKey\n      parameters\n      inputCostPerMTok\n      outputCostPerMTok\n      maxConcurrency\n      requestsPerMinute\n      createdAt\n    }\n  }\n": typeof types.CreateModelDocument,
    "\n  query ListModels($first: Int, $after: String) {\n    models(first: $first, after: $after) {\n      totalCount\n      nodes {\n        id\n        name\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ListModelsDocument,
    "\n  mutation CreatePrompt($input: CreatePromptInput!) {\n    createPrompt(input: $input) {\n      id\n      name\n      description\n      latestVersion {\n        id\n        version\n        system\n        template\n        variables\n      }\n    }\n  }\n": typeof types.CreatePromptDocument,
    "\n  mutation CreatePromptVersion($input: CreatePromptVersionInput!) {\n    createPromptVersion(input: $input) {\n      id\n      version\n      template\n      variables\n      prompt {\n        id\n        name\n      }\n    }\n  }\n": typeof types.CreatePromptVersionDocument,
    "\n  query GetPrompt($id: ID!, $first: Int, $after: String) {\n    prompt(id: $id) {\n      id\n      name\n      latestVersion {\n        version\n        template\n      }\n      versions(first: $first, after: $after) {\n        totalCount\n        nodes {\n          id\n          version\n          template\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.GetPromptDocument,
    "\n  query ListPrompts($first: Int) {\n    prompts(first: $first) {\n      totalCount\n      nodes {\n        id\n        name\n        latestVersion {\n          version\n        }\n        versions(first: 1) {\n          totalCount\n        }\n      }\n    }\n  }\n": typeof types.ListPromptsDocument,
    "\n  mutation CreateApiKey($name: String!, $role: Role!) {\n    createApiKey(name: $name, role: $role) {\n      secret\n      apiKey {\n        id\n        name\n        role\n        prefix\n        createdAt\n        lastUsedAt\n        revokedAt\n      }\n    }\n  }\n": typeof types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": typeof types.RevokeApiKeyDocument,
    "\n  query ListApiKeys {\n    apiKeys {\n      id\n      name\n      role\n      prefix\n      revokedAt\n    }\n  }\n": typeof types.ListApiKeysDocument,
    "\n  subscription ExperimentUpdated($id: ID!) {\n    experimentUpdated(id: $id) {\n      id\n      name\n      archived\n    }\n  }\n": typeof types.ExperimentUpdatedDocument,
    "\n  mutation CreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) {\n      id\n      name\n      description\n      latestVersion {\n        id\n      }\n    }\n  }\n": typeof types.CreateDatasetDocument,
    "\n  mutation CreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) {\n      datasetVersion {\n        id\n        version\n        status\n        format\n        sizeBytes\n      }\n      url\n      headers\n      parts {\n        partNumber\n        url\n      }\n      partSizeBytes\n      expiresAt\n    }\n  }\n": typeof types.CreateDatasetUploadDocument,
    "\n  mutation CompleteDatasetUpload($datasetVersionId: ID!, $parts: [CompletedPartInput!]) {\n    completeDatasetUpload(datasetVersionId: $datasetVersionId, parts: $parts) {\n      id\n      status\n    }\n  }\n": typeof types.CompleteDatasetUploadDocument,
    "\n  query GetDatasetVersion($id: ID!, $previewLimit: Int) {\n    node(id: $id) {\n      ... on DatasetVersion {\n        id\n        version\n        status\n        format\n        sizeBytes\n        sha256\n        rowCount\n        columns\n        errors {\n          line\n          message\n        }\n        preview(limit: $previewLimit) {\n          index\n          input\n          expected\n          metadata\n        }\n        downloadUrl\n        dataset {\n          id\n          name\n        }\n      }\n    }\n  }\n": typeof types.GetDatasetVersionDocument,
    "\n  query GetDataset($id: ID!) {\n    dataset(id: $id) {\n      id\n      name\n      latestVersion {\n        id\n        version\n        rowCount\n      }\n      versions(first: 10) {\n        totalCount\n        nodes {\n          id\n          version\n          status\n        }\n      }\n    }\n  }\n": typeof types.GetDatasetDocument,
    "\n  query ListDatasets($first: Int, $after: String) {\n    datasets(first: $first, after: $after) {\n      totalCount\n      nodes {\n        id\n        name\n        latestVersion {\n          version\n          rowCount\n        }\n        versions(first: 3) {\n          totalCount\n          nodes {\n            version\n            status\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ListDatasetsDocument,
    "\n  mutation CreateArtifactUpload($input: CreateArtifactUploadInput!) {\n    createArtifactUpload(input: $input) {\n      artifact {\n        id\n        name\n        contentType\n        sizeBytes\n      }\n      url\n      headers\n      expiresAt\n    }\n  }\n": typeof types.CreateArtifactUploadDocument,
    "\n  mutation CompleteArtifactUpload($artifactId: ID!) {\n    completeArtifactUpload(artifactId: $artifactId) {\n      id\n      name\n      sizeBytes\n      downloadUrl(expiresInSeconds: 60)\n      run {\n        id\n      }\n    }\n  }\n": typeof types.CompleteArtifactUploadDocument,
    "\n  query RunArtifacts($id: ID!) {\n    run(id: $id) {\n      id\n      artifacts {\n        id\n        name\n        contentType\n        sizeBytes\n        downloadUrl\n      }\n    }\n  }\n": typeof types.RunArtifactsDocument,
};
const documents: Documents = {
    "\n  query Viewer {\n    viewer {\n      role\n      subject\n      project {\n        id\n        name\n      }\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation CreateExperiment($input: CreateExperimentInput!) {\n    createExperiment(input: $input) {\n      id\n      name\n      description\n      hypothesis\n      tags\n      archived\n      createdAt\n      updatedAt\n    }\n  }\n": types.CreateExperimentDocument,
    "\n  mutation UpdateExperiment($id: ID!, $input: UpdateExperimentInput!) {\n    updateExperiment(id: $id, input: $input) {\n      id\n      name\n      description\n      tags\n      updatedAt\n    }\n  }\n": types.UpdateExperimentDocument,
    "\n  mutation ArchiveExperiment($id: ID!) {\n    archiveExperiment(id: $id) {\n      id\n      archived\n    }\n  }\n": types.ArchiveExperimentDocument,
    "\n  query ListExperiments($first: Int, $after: String, $search: String, $tags: [String!], $includeArchived: Boolean) {\n    experiments(first: $first, after: $after, search: $search, tags: $tags, includeArchived: $includeArchived) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n        }\n      }\n      nodes {\n        id\n        name\n        tags\n        archived\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.ListExperimentsDocument,
    "\n  query ExperimentsWithRuns($first: Int) {\n    experiments(first: $first) {\n      totalCount\n      nodes {\n        id\n        name\n        runCount\n        latestRun {\n          id\n          status\n          experiment {\n            id\n          }\n          models {\n            id\n            name\n          }\n          promptVersions {\n            id\n            version\n            prompt {\n              id\n              name\n            }\n          }\n        }\n        runs(first: 2) {\n          totalCount\n          nodes {\n            id\n            status\n          }\n          pageInfo {\n            hasNextPage\n          }\n        }\n      }\n    }\n  }\n": types.ExperimentsWithRunsDocument,
    "\n  query GetExperiment($id: ID!) {\n    experiment(id: $id) {\n      id\n      name\n    }\n  }\n": types.GetExperimentDocument,
    "\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Experiment {\n        name\n      }\n      ... on Prompt {\n        name\n      }\n      ... on PromptVersion {\n        version\n      }\n      ... on Model {\n        name\n      }\n      ... on Run {\n        status\n      }\n      ... on ApiKey {\n        name\n      }\n      ... on Project {\n        name\n      }\n    }\n  }\n": types.NodeDocument,
    "\n  mutation CreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      provider\n      modelName\n      baseUrl\n      hasApiKey\n      parameters\n      inputCostPerMTok\n      outputCostPerMTok\n      maxConcurrency\n      requestsPerMinute\n      createdAt\n    }\n  }\n": types.CreateModelDocument,
    "\n  query ListModels($first: Int, $after: String) {\n    models(first: $first, after: $after) {\n      totalCount\n      nodes {\n        id\n        name\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ListModelsDocument,
    "\n  mutation CreatePrompt($input: CreatePromptInput!) {\n    createPrompt(input: $input) {\n      id\n      name\n      description\n      latestVersion {\n        id\n        version\n        system\n        template\n        variables\n      }\n    }\n  }\n": types.CreatePromptDocument,
    "\n  mutation CreatePromptVersion($input: CreatePromptVersionInput!) {\n    createPromptVersion(input: $input) {\n      id\n      version\n      template\n      variables\n      prompt {\n        id\n        name\n      }\n    }\n  }\n": types.CreatePromptVersionDocument,
    "\n  query GetPrompt($id: ID!, $first: Int, $after: String) {\n    prompt(id: $id) {\n      id\n      name\n      latestVersion {\n        version\n        template\n      }\n      versions(first: $first, after: $after) {\n        totalCount\n        nodes {\n          id\n          version\n          template\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.GetPromptDocument,
    "\n  query ListPrompts($first: Int) {\n    prompts(first: $first) {\n      totalCount\n      nodes {\n        id\n        name\n        latestVersion {\n          version\n        }\n        versions(first: 1) {\n          totalCount\n        }\n      }\n    }\n  }\n": types.ListPromptsDocument,
    "\n  mutation CreateApiKey($name: String!, $role: Role!) {\n    createApiKey(name: $name, role: $role) {\n      secret\n      apiKey {\n        id\n        name\n        role\n        prefix\n        createdAt\n        lastUsedAt\n        revokedAt\n      }\n    }\n  }\n": types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n": types.RevokeApiKeyDocument,
    "\n  query ListApiKeys {\n    apiKeys {\n      id\n      name\n      role\n      prefix\n      revokedAt\n    }\n  }\n": types.ListApiKeysDocument,
    "\n  subscription ExperimentUpdated($id: ID!) {\n    experimentUpdated(id: $id) {\n      id\n      name\n      archived\n    }\n  }\n": types.ExperimentUpdatedDocument,
    "\n  mutation CreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) {\n      id\n      name\n      description\n      latestVersion {\n        id\n      }\n    }\n  }\n": types.CreateDatasetDocument,
    "\n  mutation CreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) {\n      datasetVersion {\n        id\n        version\n        status\n        format\n        sizeBytes\n      }\n      url\n      headers\n      parts {\n        partNumber\n        url\n      }\n      partSizeBytes\n      expiresAt\n    }\n  }\n": types.CreateDatasetUploadDocument,
    "\n  mutation CompleteDatasetUpload($datasetVersionId: ID!, $parts: [CompletedPartInput!]) {\n    completeDatasetUpload(datasetVersionId: $datasetVersionId, parts: $parts) {\n      id\n      status\n    }\n  }\n": types.CompleteDatasetUploadDocument,
    "\n  query GetDatasetVersion($id: ID!, $previewLimit: Int) {\n    node(id: $id) {\n      ... on DatasetVersion {\n        id\n        version\n        status\n        format\n        sizeBytes\n        sha256\n        rowCount\n        columns\n        errors {\n          line\n          message\n        }\n        preview(limit: $previewLimit) {\n          index\n          input\n          expected\n          metadata\n        }\n        downloadUrl\n        dataset {\n          id\n          name\n        }\n      }\n    }\n  }\n": types.GetDatasetVersionDocument,
    "\n  query GetDataset($id: ID!) {\n    dataset(id: $id) {\n      id\n      name\n      latestVersion {\n        id\n        version\n        rowCount\n      }\n      versions(first: 10) {\n        totalCount\n        nodes {\n          id\n          version\n          status\n        }\n      }\n    }\n  }\n": types.GetDatasetDocument,
    "\n  query ListDatasets($first: Int, $after: String) {\n    datasets(first: $first, after: $after) {\n      totalCount\n      nodes {\n        id\n        name\n        latestVersion {\n          version\n          rowCount\n        }\n        versions(first: 3) {\n          totalCount\n          nodes {\n            version\n            status\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ListDatasetsDocument,
    "\n  mutation CreateArtifactUpload($input: CreateArtifactUploadInput!) {\n    createArtifactUpload(input: $input) {\n      artifact {\n        id\n        name\n        contentType\n        sizeBytes\n      }\n      url\n      headers\n      expiresAt\n    }\n  }\n": types.CreateArtifactUploadDocument,
    "\n  mutation CompleteArtifactUpload($artifactId: ID!) {\n    completeArtifactUpload(artifactId: $artifactId) {\n      id\n      name\n      sizeBytes\n      downloadUrl(expiresInSeconds: 60)\n      run {\n        id\n      }\n    }\n  }\n": types.CompleteArtifactUploadDocument,
    "\n  query RunArtifacts($id: ID!) {\n    run(id: $id) {\n      id\n      artifacts {\n        id\n        name\n        contentType\n        sizeBytes\n        downloadUrl\n      }\n    }\n  }\n": types.RunArtifactsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      role\n      subject\n      project {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer {\n      role\n      subject\n      project {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateExperiment($input: CreateExperimentInput!) {\n    createExperiment(input: $input) {\n      id\n      name\n      description\n      hypothesis\n      tags\n      archived\n      createdAt\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  mutation CreateExperiment($input: CreateExperimentInput!) {\n    createExperiment(input: $input) {\n      id\n      name\n      description\n      hypothesis\n      tags\n      archived\n      createdAt\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateExperiment($id: ID!, $input: UpdateExperimentInput!) {\n    updateExperiment(id: $id, input: $input) {\n      id\n      name\n      description\n      tags\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateExperiment($id: ID!, $input: UpdateExperimentInput!) {\n    updateExperiment(id: $id, input: $input) {\n      id\n      name\n      description\n      tags\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ArchiveExperiment($id: ID!) {\n    archiveExperiment(id: $id) {\n      id\n      archived\n    }\n  }\n"): (typeof documents)["\n  mutation ArchiveExperiment($id: ID!) {\n    archiveExperiment(id: $id) {\n      id\n      archived\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ListExperiments($first: Int, $after: String, $search: String, $tags: [String!], $includeArchived: Boolean) {\n    experiments(first: $first, after: $after, search: $search, tags: $tags, includeArchived: $includeArchived) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n        }\n      }\n      nodes {\n        id\n        name\n        tags\n        archived\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ListExperiments($first: Int, $after: String, $search: String, $tags: [String!], $includeArchived: Boolean) {\n    experiments(first: $first, after: $after, search: $search, tags: $tags, includeArchived: $includeArchived) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          name\n        }\n      }\n      nodes {\n        id\n        name\n        tags\n        archived\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExperimentsWithRuns($first: Int) {\n    experiments(first: $first) {\n      totalCount\n      nodes {\n        id\n        name\n        runCount\n        latestRun {\n          id\n          status\n          experiment {\n            id\n          }\n          models {\n            id\n            name\n          }\n          promptVersions {\n            id\n            version\n            prompt {\n              id\n              name\n            }\n          }\n        }\n        runs(first: 2) {\n          totalCount\n          nodes {\n            id\n            status\n          }\n          pageInfo {\n            hasNextPage\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ExperimentsWithRuns($first: Int) {\n    experiments(first: $first) {\n      totalCount\n      nodes {\n        id\n        name\n        runCount\n        latestRun {\n          id\n          status\n          experiment {\n            id\n          }\n          models {\n            id\n            name\n          }\n          promptVersions {\n            id\n            version\n            prompt {\n              id\n              name\n            }\n          }\n        }\n        runs(first: 2) {\n          totalCount\n          nodes {\n            id\n            status\n          }\n          pageInfo {\n            hasNextPage\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query GetExperiment($id: ID!) {\n    experiment(id: $id) {\n      id\n      name\n    }\n  }\n"): (typeof documents)["\n  query GetExperiment($id: ID!) {\n    experiment(id: $id) {\n      id\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Experiment {\n        name\n      }\n      ... on Prompt {\n        name\n      }\n      ... on PromptVersion {\n        version\n      }\n      ... on Model {\n        name\n      }\n      ... on Run {\n        status\n      }\n      ... on ApiKey {\n        name\n      }\n      ... on Project {\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query Node($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n      ... on Experiment {\n        name\n      }\n      ... on Prompt {\n        name\n      }\n      ... on PromptVersion {\n        version\n      }\n      ... on Model {\n        name\n      }\n      ... on Run {\n        status\n      }\n      ... on ApiKey {\n        name\n      }\n      ... on Project {\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      provider\n      modelName\n      baseUrl\n      hasApiKey\n      parameters\n      inputCostPerMTok\n      outputCostPerMTok\n      maxConcurrency\n      requestsPerMinute\n      createdAt\n    }\n  }\n"): (typeof documents)["\n  mutation CreateModel($input: CreateModelInput!) {\n    createModel(input: $input) {\n      id\n      name\n      provider\n      modelName\n      baseUrl\n      hasApiKey\n      parameters\n      inputCostPerMTok\n      outputCostPerMTok\n      maxConcurrency\n      requestsPerMinute\n      createdAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ListModels($first: Int, $after: String) {\n    models(first: $first, after: $after) {\n      totalCount\n      nodes {\n        id\n        name\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ListModels($first: Int, $after: String) {\n    models(first: $first, after: $after) {\n      totalCount\n      nodes {\n        id\n        name\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePrompt($input: CreatePromptInput!) {\n    createPrompt(input: $input) {\n      id\n      name\n      description\n      latestVersion {\n        id\n        version\n        system\n        template\n        variables\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreatePrompt($input: CreatePromptInput!) {\n    createPrompt(input: $input) {\n      id\n      name\n      description\n      latestVersion {\n        id\n        version\n        system\n        template\n        variables\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePromptVersion($input: CreatePromptVersionInput!) {\n    createPromptVersion(input: $input) {\n      id\n      version\n      template\n      variables\n      prompt {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreatePromptVersion($input: CreatePromptVersionInput!) {\n    createPromptVersion(input: $input) {\n      id\n      version\n      template\n      variables\n      prompt {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query GetPrompt($id: ID!, $first: Int, $after: String) {\n    prompt(id: $id) {\n      id\n      name\n      latestVersion {\n        version\n        template\n      }\n      versions(first: $first, after: $after) {\n        totalCount\n        nodes {\n          id\n          version\n          template\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query GetPrompt($id: ID!, $first: Int, $after: String) {\n    prompt(id: $id) {\n      id\n      name\n      latestVersion {\n        version\n        template\n      }\n      versions(first: $first, after: $after) {\n        totalCount\n        nodes {\n          id\n          version\n          template\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ListPrompts($first: Int) {\n    prompts(first: $first) {\n      totalCount\n      nodes {\n        id\n        name\n        latestVersion {\n          version\n        }\n        versions(first: 1) {\n          totalCount\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ListPrompts($first: Int) {\n    prompts(first: $first) {\n      totalCount\n      nodes {\n        id\n        name\n        latestVersion {\n          version\n        }\n        versions(first: 1) {\n          totalCount\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($name: String!, $role: Role!) {\n    createApiKey(name: $name, role: $role) {\n      secret\n      apiKey {\n        id\n        name\n        role\n        prefix\n        createdAt\n        lastUsedAt\n        revokedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateApiKey($name: String!, $role: Role!) {\n    createApiKey(name: $name, role: $role) {\n      secret\n      apiKey {\n        id\n        name\n        role\n        prefix\n        createdAt\n        lastUsedAt\n        revokedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id) {\n      id\n      revokedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ListApiKeys {\n    apiKeys {\n      id\n      name\n      role\n      prefix\n      revokedAt\n    }\n  }\n"): (typeof documents)["\n  query ListApiKeys {\n    apiKeys {\n      id\n      name\n      role\n      prefix\n      revokedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ExperimentUpdated($id: ID!) {\n    experimentUpdated(id: $id) {\n      id\n      name\n      archived\n    }\n  }\n"): (typeof documents)["\n  subscription ExperimentUpdated($id: ID!) {\n    experimentUpdated(id: $id) {\n      id\n      name\n      archived\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) {\n      id\n      name\n      description\n      latestVersion {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateDataset($input: CreateDatasetInput!) {\n    createDataset(input: $input) {\n      id\n      name\n      description\n      latestVersion {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) {\n      datasetVersion {\n        id\n        version\n        status\n        format\n        sizeBytes\n      }\n      url\n      headers\n      parts {\n        partNumber\n        url\n      }\n      partSizeBytes\n      expiresAt\n    }\n  }\n"): (typeof documents)["\n  mutation CreateDatasetUpload($input: CreateDatasetUploadInput!) {\n    createDatasetUpload(input: $input) {\n      datasetVersion {\n        id\n        version\n        status\n        format\n        sizeBytes\n      }\n      url\n      headers\n      parts {\n        partNumber\n        url\n      }\n      partSizeBytes\n      expiresAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CompleteDatasetUpload($datasetVersionId: ID!, $parts: [CompletedPartInput!]) {\n    completeDatasetUpload(datasetVersionId: $datasetVersionId, parts: $parts) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation CompleteDatasetUpload($datasetVersionId: ID!, $parts: [CompletedPartInput!]) {\n    completeDatasetUpload(datasetVersionId: $datasetVersionId, parts: $parts) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query GetDatasetVersion($id: ID!, $previewLimit: Int) {\n    node(id: $id) {\n      ... on DatasetVersion {\n        id\n        version\n        status\n        format\n        sizeBytes\n        sha256\n        rowCount\n        columns\n        errors {\n          line\n          message\n        }\n        preview(limit: $previewLimit) {\n          index\n          input\n          expected\n          metadata\n        }\n        downloadUrl\n        dataset {\n          id\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query GetDatasetVersion($id: ID!, $previewLimit: Int) {\n    node(id: $id) {\n      ... on DatasetVersion {\n        id\n        version\n        status\n        format\n        sizeBytes\n        sha256\n        rowCount\n        columns\n        errors {\n          line\n          message\n        }\n        preview(limit: $previewLimit) {\n          index\n          input\n          expected\n          metadata\n        }\n        downloadUrl\n        dataset {\n          id\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query GetDataset($id: ID!) {\n    dataset(id: $id) {\n      id\n      name\n      latestVersion {\n        id\n        version\n        rowCount\n      }\n      versions(first: 10) {\n        totalCount\n        nodes {\n          id\n          version\n          status\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query GetDataset($id: ID!) {\n    dataset(id: $id) {\n      id\n      name\n      latestVersion {\n        id\n        version\n        rowCount\n      }\n      versions(first: 10) {\n        totalCount\n        nodes {\n          id\n          version\n          status\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ListDatasets($first: Int, $after: String) {\n    datasets(first: $first, after: $after) {\n      totalCount\n      nodes {\n        id\n        name\n        latestVersion {\n          version\n          rowCount\n        }\n        versions(first: 3) {\n          totalCount\n          nodes {\n            version\n            status\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query ListDatasets($first: Int, $after: String) {\n    datasets(first: $first, after: $after) {\n      totalCount\n      nodes {\n        id\n        name\n        latestVersion {\n          version\n          rowCount\n        }\n        versions(first: 3) {\n          totalCount\n          nodes {\n            version\n            status\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateArtifactUpload($input: CreateArtifactUploadInput!) {\n    createArtifactUpload(input: $input) {\n      artifact {\n        id\n        name\n        contentType\n        sizeBytes\n      }\n      url\n      headers\n      expiresAt\n    }\n  }\n"): (typeof documents)["\n  mutation CreateArtifactUpload($input: CreateArtifactUploadInput!) {\n    createArtifactUpload(input: $input) {\n      artifact {\n        id\n        name\n        contentType\n        sizeBytes\n      }\n      url\n      headers\n      expiresAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CompleteArtifactUpload($artifactId: ID!) {\n    completeArtifactUpload(artifactId: $artifactId) {\n      id\n      name\n      sizeBytes\n      downloadUrl(expiresInSeconds: 60)\n      run {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CompleteArtifactUpload($artifactId: ID!) {\n    completeArtifactUpload(artifactId: $artifactId) {\n      id\n      name\n      sizeBytes\n      downloadUrl(expiresInSeconds: 60)\n      run {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RunArtifacts($id: ID!) {\n    run(id: $id) {\n      id\n      artifacts {\n        id\n        name\n        contentType\n        sizeBytes\n        downloadUrl\n      }\n    }\n  }\n"): (typeof documents)["\n  query RunArtifacts($id: ID!) {\n    run(id: $id) {\n      id\n      artifacts {\n        id\n        name\n        contentType\n        sizeBytes\n        downloadUrl\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;