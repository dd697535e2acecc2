/**
 * @fusion/models: the study's models on @fusion/tensor. ResNet (torchvision's) and BERT (Hugging
 * Face's) encoders with their checkpoints' names, weight loading from safetensors, the fusion
 * heads, the CNN mask decoder, the full MaskModel, and the tokenizer.
 */
export { ResNet, Bottleneck, Downsample, resnet50, BOTTLENECK_EXPANSION, type ResNetConfig, type ResolvedResNetConfig, type ResNetOutput } from './resnet.js';
export {
  Bert, bertBaseUncased, BERT_BASE_UNCASED, setBertAttentionPath, BertEmbeddings, BertSelfAttention, BertResidualOutput, BertAttention,
  BertIntermediate, BertLayer, BertEncoder, BertPooler, type BertConfig, type ResolvedBertConfig, type BertInput, type BertModelOutput,
} from './bert.js';
export { loadResNetWeights, loadBertWeights, mapHuggingFaceBertName, formatWeightReport, type WeightSource, type WeightLoadReport, type LoadWeightsOptions } from './weights.js';
export { MaskDecoder, ConvBnRelu, decoderPlan, STUDY_DECODER_WIDTHS, type MaskDecoderConfig, type DecoderPlan } from './decoder.js';
export { resizeBilinear, bilinearMatrix } from './resize.js';
export * from './fusion/index.js';
export { MaskModel, type MaskModelConfig, type MaskModelInput, type MaskModelOutput, type ParameterCounts } from './model.js';
export { ModuleList } from './module-list.js';
export * from './tokenizer/index.js';
