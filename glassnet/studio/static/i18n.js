/* glassnet Studio: every label of the page in English and Chinese.
 *
 * Static labels carry data-i18n="key" (text), data-i18n-title="key" (tooltip) or
 * data-i18n-placeholder="key"; scripts call Studio.i18n.t("key", {name: value}). Texts the server
 * sends are {"en": ..., "zh": ...} objects: Studio.i18n.pick(text) chooses the current language.
 * The block between the markers is strict JSON (tests/studio/test_i18n.py reads it).
 */
(function () {
  "use strict";
  const Studio = (window.Studio = window.Studio || {});

  const MESSAGES = /* messages:begin */ {
  "en": {
    "app.title": "glassnet Studio",
    "app.studio": "Studio",
    "app.footer": "glassnet Studio — the real library, real data, live. Local only: this page needs its access token.",
    "tab.training": "Training",
    "tab.stepper": "Backprop stepper",
    "tab.playground": "Playground",
    "conn.connecting": "connecting…",
    "conn.connected": "live",
    "conn.reconnecting": "reconnecting…",
    "lang.toggle": "中文",
    "lang.toggle_title": "Switch the language to Chinese",
    "status.running": "running",
    "status.paused": "paused",
    "status.finished": "finished",
    "status.stopped": "stopped",
    "status.failed": "failed",
    "status.starting": "starting",
    "status.pending": "waiting",
    "train.preset": "Preset",
    "train.quick": "quick",
    "train.start": "Start",
    "train.run": "Run",
    "train.no_runs": "no run yet",
    "train.pause": "Pause",
    "train.resume": "Resume",
    "train.step": "Step one batch",
    "train.learning_rate": "Learning rate",
    "train.apply": "Apply",
    "train.lr_invalid": "The learning rate must be a positive number.",
    "train.network": "Network",
    "train.network_hint": "Click a layer to inspect it.",
    "train.curves_batch": "Per batch: loss, metrics, learning rate",
    "train.curves_epoch": "Per epoch: training vs validation",
    "train.gradient_flow": "Gradient flow: every layer over time (log scale)",
    "train.gradient_flow_hint": "A layer whose mean |grad| sits orders of magnitude below the others learns almost nothing: its gradients vanish.",
    "train.mean_abs_grad": "mean |grad|",
    "train.mean_abs_delta": "mean |delta| (dL/dz)",
    "train.layer": "Layer",
    "train.grad_scale": "mean |grad| (log scale)",
    "train.s_step": "step",
    "train.s_epoch": "epoch",
    "train.s_loss": "loss",
    "train.s_learning_rate": "learning rate",
    "train.axis_step": "batch",
    "train.axis_epoch": "epoch",
    "graph.empty": "No model yet: start a preset or fit with gn.callbacks.Studio().",
    "graph.params": "params",
    "graph.mean_abs_grad": "mean |grad|",
    "graph.total": "{params} parameters in total",
    "layer.title": "Layer",
    "layer.none": "Select a layer in the network graph.",
    "layer.waiting": "Layer {layer}: waiting for its first recording…",
    "layer.recorded_at": "{cls}, recorded at batch {step}",
    "layer.not_recorded": "not recorded",
    "layer.hist_stats": "mean {mean} · std {std} · mean|x| {mean_abs}",
    "layer.s_mean_abs_delta": "mean |delta|",
    "layer.s_mean_abs_grad": "mean |grad|",
    "layer.s_grad_norm": "gradient norm",
    "layer.s_weight_norm": "weight norm",
    "layer.s_update_norm": "update norm",
    "layer.s_update_ratio": "update / weight",
    "layer.s_rank_grad_norms": "gradient norm on each of {count} ranks",
    "layer.ratio_hint": "The last optimizer step changed this layer's weights by {ratio} of their size (around 1e-3 is healthy).",
    "layer.ratio_none": "No update recorded yet.",
    "layer.h_input": "input x",
    "layer.h_z": "z = wx + b",
    "layer.h_output": "output a = f(z)",
    "layer.h_delta": "delta dL/dz",
    "layer.h_weights": "weights",
    "layer.h_grads": "gradients",
    "layer.h_update": "last update",
    "layer.neurons_title": "Neurons for sample {sample}",
    "layer.neurons_formula": "Each unit computes y = f(w·x + b) with f = {activation}; δ is the delta dL/dz.",
    "layer.more_inputs": "{count} more inputs",
    "layer.unit": "unit",
    "layer.conv_title": "Feature maps and kernels for sample {sample}",
    "layer.feature_maps": "Feature maps (output channels)",
    "layer.kernels": "Kernels (input channel 0)",
    "layer.recurrent_title": "Gates over the time steps for sample {sample}",
    "layer.recurrent_hint": "Each heatmap: time steps downwards, units across.",
    "layer.gate_i": "input gate i",
    "layer.gate_f": "forget gate f",
    "layer.gate_c": "cell candidate c",
    "layer.gate_o": "output gate o",
    "layer.gate_z": "update gate z",
    "layer.gate_r": "reset gate r",
    "layer.gate_h": "hidden state h",
    "layer.gate_mean_last": "last step mean {value}",
    "layer.bn_title": "Batch normalization statistics",
    "layer.bn_mean": "moving mean",
    "layer.bn_variance": "moving variance",
    "layer.bn_gamma": "gamma (scale)",
    "layer.bn_beta": "beta (shift)",
    "layer.first_n": "(first {count})",
    "sample.title": "Sample inspector",
    "sample.index": "Validation sample",
    "sample.show": "Show",
    "sample.refresh": "Refresh list",
    "sample.input": "Input",
    "sample.probabilities": "Output of the model (as it computes it)",
    "sample.misclassified": "Misclassified",
    "sample.activations": "Every layer's activation for this sample",
    "sample.count": "{count} validation samples, {wrong} misclassified listed",
    "sample.chip_title": "label {label}, predicted {predicted} (confidence {confidence})",
    "sample.none_wrong": "none",
    "sample.verdict": "sample {index}: label {label}, predicted {predicted}",
    "stepper.example": "Example",
    "stepper.reset": "Reset",
    "stepper.back": "Back",
    "stepper.next": "Next",
    "stepper.end": "To the end",
    "stepper.graph": "Computation graph",
    "stepper.current": "Current step",
    "stepper.table": "Trace table",
    "stepper.update": "Update",
    "stepper.quantity": "quantity",
    "stepper.node": "node",
    "stepper.iteration": "iteration {n}",
    "stepper.col_node": "node",
    "stepper.col_op": "operation",
    "stepper.col_inputs": "inputs",
    "stepper.col_value": "value",
    "stepper.col_grad": "gradient",
    "stepper.col_label": "formula",
    "stepper.position": "step {k} of {n}",
    "stepper.phase_forward": "forward",
    "stepper.phase_backward": "backward",
    "stepper.phase_update": "update",
    "stepper.start_hint": "Press Next (or →) to compute the first node.",
    "stepper.learning_rate": "learning rate η = {value}",
    "stepper.update_later": "The update is shown once the backward pass has reached it.",
    "pg.data": "Data",
    "pg.dataset": "Data set",
    "pg.ds_circles": "circles",
    "pg.ds_xor": "xor",
    "pg.ds_spirals": "spirals",
    "pg.ds_gaussians": "gaussians",
    "pg.ds_upload": "uploaded CSV ({count} points, {classes} classes)",
    "pg.upload": "Upload CSV (x1, x2, label)",
    "pg.upload_ok": "{name}: {count} points, {classes} classes",
    "pg.upload_too_big": "The file is larger than 1 MiB.",
    "pg.noise": "Noise",
    "pg.samples": "Samples",
    "pg.model": "Model",
    "pg.hidden": "Hidden layers (units, comma separated)",
    "pg.layer_add": "Add a layer",
    "pg.layer_remove": "Remove a layer",
    "pg.activation": "Activation",
    "pg.optimizer": "Optimizer",
    "pg.learning_rate": "Learning rate",
    "pg.batch_size": "Batch size",
    "pg.epochs": "Epochs",
    "pg.seed": "Seed",
    "pg.regularization": "Regularization",
    "pg.reg_none": "none",
    "pg.reg_rate": "Rate",
    "pg.start": "Train",
    "pg.step": "Step",
    "pg.export": "Export script",
    "pg.export_need_run": "Train a playground network first, then export its script.",
    "pg.boundary": "Decision boundary",
    "pg.boundary_hint": "Colour: the network's output over the plane; points: the training data.",
    "pg.epoch": "Epoch",
    "pg.loss": "Loss",
    "pg.val_loss": "Validation loss",
    "pg.empty": "Press Train to start.",
    "pg.neurons": "Every neuron's output over the plane",
    "pg.neurons_empty": "The hidden neurons appear here while the network trains.",
    "pg.layer_n": "hidden layer {n}",
    "pg.neuron_title": "layer {layer}, neuron {unit}",
    "pg.script": "Script that reproduces this run",
    "pg.copy": "Copy",
    "pg.copied": "Copied"
  },
  "zh": {
    "app.title": "glassnet 工作室",
    "app.studio": "工作室",
    "app.footer": "glassnet Studio —— 真实的库、真实的数据、实时观察。仅限本机：此页面需要访问令牌。",
    "tab.training": "训练",
    "tab.stepper": "反向传播单步",
    "tab.playground": "游乐场",
    "conn.connecting": "正在连接…",
    "conn.connected": "已连接",
    "conn.reconnecting": "正在重新连接…",
    "lang.toggle": "EN",
    "lang.toggle_title": "切换为英文",
    "status.running": "训练中",
    "status.paused": "已暂停",
    "status.finished": "已完成",
    "status.stopped": "已停止",
    "status.failed": "失败",
    "status.starting": "启动中",
    "status.pending": "等待中",
    "train.preset": "预设",
    "train.quick": "快速",
    "train.start": "开始",
    "train.run": "运行",
    "train.no_runs": "还没有运行",
    "train.pause": "暂停",
    "train.resume": "继续",
    "train.step": "单步一个批次",
    "train.learning_rate": "学习率",
    "train.apply": "应用",
    "train.lr_invalid": "学习率必须是正数。",
    "train.network": "网络结构",
    "train.network_hint": "点击一层查看它的内部。",
    "train.curves_batch": "每个批次：损失、指标、学习率",
    "train.curves_epoch": "每轮：训练集与验证集",
    "train.gradient_flow": "梯度流：每一层随时间的变化（对数坐标）",
    "train.gradient_flow_hint": "如果某层的平均 |梯度| 比其他层低几个数量级，它几乎学不到东西：这就是梯度消失。",
    "train.mean_abs_grad": "平均 |梯度|",
    "train.mean_abs_delta": "平均 |残差| (dL/dz)",
    "train.layer": "层",
    "train.grad_scale": "平均 |梯度|（对数刻度）",
    "train.s_step": "步",
    "train.s_epoch": "轮",
    "train.s_loss": "损失",
    "train.s_learning_rate": "学习率",
    "train.axis_step": "批次",
    "train.axis_epoch": "轮",
    "graph.empty": "还没有模型：启动一个预设，或在 fit 中使用 gn.callbacks.Studio()。",
    "graph.params": "参数",
    "graph.mean_abs_grad": "平均 |梯度|",
    "graph.total": "共 {params} 个参数",
    "layer.title": "层",
    "layer.none": "在网络结构图中选择一层。",
    "layer.waiting": "层 {layer}：等待第一次记录…",
    "layer.recorded_at": "{cls}，记录于第 {step} 个批次",
    "layer.not_recorded": "未记录",
    "layer.hist_stats": "均值 {mean} · 标准差 {std} · 平均|x| {mean_abs}",
    "layer.s_mean_abs_delta": "平均 |残差|",
    "layer.s_mean_abs_grad": "平均 |梯度|",
    "layer.s_grad_norm": "梯度范数",
    "layer.s_weight_norm": "权重范数",
    "layer.s_update_norm": "更新量范数",
    "layer.s_update_ratio": "更新量 / 权重",
    "layer.s_rank_grad_norms": "{count} 个进程各自的梯度范数",
    "layer.ratio_hint": "上一次优化器更新使这一层的权重改变了其大小的 {ratio}（约 1e-3 比较健康）。",
    "layer.ratio_none": "还没有记录到更新。",
    "layer.h_input": "输入 x",
    "layer.h_z": "z = wx + b",
    "layer.h_output": "输出 a = f(z)",
    "layer.h_delta": "残差 dL/dz",
    "layer.h_weights": "权重",
    "layer.h_grads": "梯度",
    "layer.h_update": "上次更新量",
    "layer.neurons_title": "样本 {sample} 的神经元",
    "layer.neurons_formula": "每个神经元计算 y = f(w·x + b)，f = {activation}；δ 是残差 dL/dz。",
    "layer.more_inputs": "另有 {count} 个输入",
    "layer.unit": "神经元",
    "layer.conv_title": "样本 {sample} 的特征图与卷积核",
    "layer.feature_maps": "特征图（输出通道）",
    "layer.kernels": "卷积核（输入通道 0）",
    "layer.recurrent_title": "样本 {sample} 各时间步的门",
    "layer.recurrent_hint": "每张热图：纵向为时间步，横向为神经元。",
    "layer.gate_i": "输入门 i",
    "layer.gate_f": "遗忘门 f",
    "layer.gate_c": "候选记忆 c",
    "layer.gate_o": "输出门 o",
    "layer.gate_z": "更新门 z",
    "layer.gate_r": "重置门 r",
    "layer.gate_h": "隐藏状态 h",
    "layer.gate_mean_last": "最后一步均值 {value}",
    "layer.bn_title": "批归一化统计量",
    "layer.bn_mean": "滑动均值",
    "layer.bn_variance": "滑动方差",
    "layer.bn_gamma": "gamma（缩放）",
    "layer.bn_beta": "beta（平移）",
    "layer.first_n": "（前 {count} 个）",
    "sample.title": "样本检查器",
    "sample.index": "验证样本",
    "sample.show": "显示",
    "sample.refresh": "刷新列表",
    "sample.input": "输入",
    "sample.probabilities": "模型的输出（按模型实际计算）",
    "sample.misclassified": "分类错误的样本",
    "sample.activations": "这个样本在每一层的激活值",
    "sample.count": "共 {count} 个验证样本，列出 {wrong} 个分错的",
    "sample.chip_title": "标签 {label}，预测 {predicted}（置信度 {confidence}）",
    "sample.none_wrong": "没有",
    "sample.verdict": "样本 {index}：标签 {label}，预测 {predicted}",
    "stepper.example": "示例",
    "stepper.reset": "重置",
    "stepper.back": "后退",
    "stepper.next": "下一步",
    "stepper.end": "到最后",
    "stepper.graph": "计算图",
    "stepper.current": "当前步骤",
    "stepper.table": "追踪表",
    "stepper.update": "更新",
    "stepper.quantity": "量",
    "stepper.node": "节点",
    "stepper.iteration": "迭代{n}",
    "stepper.col_node": "节点",
    "stepper.col_op": "运算",
    "stepper.col_inputs": "输入",
    "stepper.col_value": "值",
    "stepper.col_grad": "梯度",
    "stepper.col_label": "公式",
    "stepper.position": "第 {k} 步，共 {n} 步",
    "stepper.phase_forward": "正向",
    "stepper.phase_backward": "反向",
    "stepper.phase_update": "更新",
    "stepper.start_hint": "点击“下一步”（或按 →）计算第一个节点。",
    "stepper.learning_rate": "学习率 η = {value}",
    "stepper.update_later": "反向传播完成后显示更新。",
    "pg.data": "数据",
    "pg.dataset": "数据集",
    "pg.ds_circles": "圆环",
    "pg.ds_xor": "异或",
    "pg.ds_spirals": "螺旋",
    "pg.ds_gaussians": "高斯簇",
    "pg.ds_upload": "上传的 CSV（{count} 个点，{classes} 类）",
    "pg.upload": "上传 CSV（x1, x2, 标签）",
    "pg.upload_ok": "{name}：{count} 个点，{classes} 类",
    "pg.upload_too_big": "文件超过 1 MiB。",
    "pg.noise": "噪声",
    "pg.samples": "样本数",
    "pg.model": "模型",
    "pg.hidden": "隐藏层（每层神经元数，逗号分隔）",
    "pg.layer_add": "增加一层",
    "pg.layer_remove": "删除一层",
    "pg.activation": "激活函数",
    "pg.optimizer": "优化器",
    "pg.learning_rate": "学习率",
    "pg.batch_size": "批大小",
    "pg.epochs": "轮数",
    "pg.seed": "随机种子",
    "pg.regularization": "正则化",
    "pg.reg_none": "无",
    "pg.reg_rate": "系数",
    "pg.start": "训练",
    "pg.step": "单步",
    "pg.export": "导出脚本",
    "pg.export_need_run": "请先训练一个游乐场网络，再导出脚本。",
    "pg.boundary": "决策边界",
    "pg.boundary_hint": "颜色：网络在平面上的输出；圆点：训练数据。",
    "pg.epoch": "轮",
    "pg.loss": "损失",
    "pg.val_loss": "验证损失",
    "pg.empty": "点击“训练”开始。",
    "pg.neurons": "每个神经元在平面上的输出",
    "pg.neurons_empty": "训练时，隐藏层神经元的输出会显示在这里。",
    "pg.layer_n": "隐藏层 {n}",
    "pg.neuron_title": "第 {layer} 层，第 {unit} 个神经元",
    "pg.script": "重现这次训练的脚本",
    "pg.copy": "复制",
    "pg.copied": "已复制"
  }
} /* messages:end */;

  const LANGUAGES = ["en", "zh"];
  const STORAGE_KEY = "glassnet.studio.language";
  let current = "en";

  function init() {
    let saved = null;
    try {
      saved = window.localStorage.getItem(STORAGE_KEY);
    } catch (error) {
      saved = null;
    }
    const fromQuery = new URLSearchParams(window.location.search).get("lang");
    const browser = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
    setLanguage(LANGUAGES.includes(fromQuery) ? fromQuery : LANGUAGES.includes(saved) ? saved
      : browser);
  }

  function language() {
    return current;
  }

  function setLanguage(value) {
    current = LANGUAGES.includes(value) ? value : "en";
    document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
    try {
      window.localStorage.setItem(STORAGE_KEY, current);
    } catch (error) {
      /* private mode: the choice lasts for this page only */
    }
  }

  function has(key) {
    return Object.prototype.hasOwnProperty.call(MESSAGES.en, key);
  }

  function format(template, params) {
    return template.replace(/\{(\w+)\}/g, (match, name) =>
      params && params[name] !== undefined && params[name] !== null ? String(params[name]) : match);
  }

  /** The message for key in a given language (English when the language lacks it). */
  function text(lang, key, params) {
    const table = MESSAGES[lang] || MESSAGES.en;
    const template = table[key] !== undefined ? table[key] : MESSAGES.en[key];
    if (template === undefined) {
      if (window.console) console.warn("glassnet studio: no message for", key);
      return key;
    }
    return format(template, params);
  }

  function t(key, params) {
    return text(current, key, params);
  }

  /** A bilingual text {en, zh} for key (to keep, then pick again after a language switch). */
  function bilingual(key, params) {
    return { en: text("en", key, params), zh: text("zh", key, params) };
  }

  /** Choose the current language from a server text {en, zh} (plain strings pass through). */
  function pick(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "string" || typeof value === "number") return String(value);
    if (typeof value === "object") {
      if (value[current] !== undefined) return String(value[current]);
      if (value.en !== undefined) return String(value.en);
      if (value.error !== undefined) return pick(value.error);
    }
    return String(value);
  }

  /** Translate every static label under root. */
  function apply(root) {
    const scope = root || document;
    for (const node of scope.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of scope.querySelectorAll("[data-i18n-title]")) {
      node.setAttribute("title", t(node.dataset.i18nTitle));
    }
    for (const node of scope.querySelectorAll("[data-i18n-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    }
    document.title = t("app.title");
  }

  Studio.i18n = { MESSAGES, LANGUAGES, init, language, setLanguage, has, text, t, pick, apply,
    bilingual };
})();
